/**
 * docs/refusals.md ("What it refuses, and how", linked from the README) is the catalogue: this
 * test fails when they differ. `npm run catalogue` rewrites its table from the entries.
 */
import { fromRoot, fs, process } from '../host';
import { readmeTable, type CatalogueEntry, type Concern } from './catalogue';
import { entries as download } from './download.cases';
import { entries as generation } from './generation.cases';
import { entries as resume } from './resume.cases';
import { entries as transport } from './transport.cases';
import { entries as trigger } from './trigger.cases';
import { entries as waiting } from './waiting.cases';

const README = fromRoot('docs', 'refusals.md');
const START = '<!-- catalogue:start (npm run catalogue writes this table) -->';
const END = '<!-- catalogue:end -->';

const all: CatalogueEntry[] = [
	...transport,
	...generation,
	...waiting,
	...resume,
	...download,
	...trigger,
].map(({ concern, input, outcome }) => ({ concern, input, outcome }));

function section(): string {
	const concerns = [...new Set(all.map((e) => e.concern))];
	return concerns
		.map((concern: Concern) => {
			const rows = all.filter((e) => e.concern === concern);
			return `<details><summary><b>${concern}</b>: ${rows.length} cases</summary>\n\n${readmeTable(rows)}\n\n</details>`;
		})
		.join('\n\n');
}

describe('the table of refusals (docs/refusals.md)', () => {
	it('lists every catalogue entry, as the catalogue words it', () => {
		const readme = fs.readFileSync(README, 'utf8');
		const start = readme.indexOf(START);
		const end = readme.indexOf(END);
		expect(start).toBeGreaterThan(-1);
		expect(end).toBeGreaterThan(start);
		const expected = `${START}\n${section()}\n${END}`;
		if (process.env.CATALOGUE_WRITE === '1') {
			fs.writeFileSync(README, readme.slice(0, start) + expected + readme.slice(end + END.length));
			return;
		}
		expect(readme.slice(start, end + END.length)).toBe(expected);
	});

	it('has at least 40 cases, none without its two cells, no cell breaking the table', () => {
		expect(all.length).toBeGreaterThanOrEqual(40);
		for (const e of all) {
			expect(e.input.trim()).not.toBe('');
			expect(e.outcome.trim()).not.toBe('');
			expect(`${e.input}${e.outcome}`).not.toMatch(/[|\n]/);
		}
	});
});
