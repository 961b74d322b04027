/** The download catalogue (download.cases.ts), each entry through n8n's engine. */
import { entries } from './download.cases';
import { testEntries } from './runner';

describe('download: what it refuses, and how', () => {
	testEntries(entries);
});
