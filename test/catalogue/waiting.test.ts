/** The waiting catalogue (waiting.cases.ts), each entry through n8n's engine. */
import { entries } from './waiting.cases';
import { testEntries } from './runner';

describe('waiting: what it refuses, and how', () => {
	testEntries(entries);
});
