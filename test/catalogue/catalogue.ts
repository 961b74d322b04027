/**
 * The catalogue of hostile and careless inputs: one `<concern>.cases.ts` per concern
 * (transport, generation, waiting, resume, download, trigger) exports `entries`, and its
 * `<concern>.test.ts` runs each one through n8n's engine against the simulator.
 * Every entry records what BHuman saw (the request count), the error text, and that no
 * secret or token appears anywhere. `readme.test.ts` checks the README's
 * "What it refuses, and how" table against all entries (`npm run catalogue` prints it).
 */
export type Concern = 'transport' | 'generation' | 'waiting' | 'resume' | 'download' | 'trigger';

export interface CatalogueEntry {
	concern: Concern;
	/** What the user (or the server) did, one README cell: "Poll Interval is 0". */
	input: string;
	/** What the package does, one README cell: "refused before any request: …". */
	outcome: string;
}

/** Fails when any secret (API key secret, its Basic token, a trigger token) occurs in `value`. */
export function expectNoSecrets(value: unknown, secrets: string[]): void {
	const text = typeof value === 'string' ? value : (JSON.stringify(value, replacer) ?? '');
	for (const secret of secrets.filter((s) => s.length > 0)) {
		if (text.includes(secret)) throw new Error(`a secret appears in: ${text.slice(0, 300)}`);
	}
}

function replacer(_key: string, v: unknown) {
	if (v instanceof Error)
		return { message: v.message, description: (v as Error & { description?: unknown }).description, stack: v.stack };
	if (Buffer.isBuffer(v)) return v.toString('utf8');
	return v;
}

/** The README table rows for these entries, in the order given. */
export function readmeTable(entries: CatalogueEntry[]): string {
	const rows = entries.map((e) => `| ${e.concern} | ${e.input} | ${e.outcome} |`);
	return ['| concern | input | what the package does |', '|---|---|---|', ...rows].join('\n');
}
