/** The transport catalogue (transport.cases.ts), each entry through n8n's engine. */
import { entries } from './transport.cases';
import { testEntries } from './runner';

describe('transport: what it refuses, and how', () => {
	testEntries(entries);
});
