/**
 * What BHuman received and made, for the tests of paying once (retry.test.ts, ledger*.test.ts),
 * and a fake n8n server (test/helpers/waiting.ts) started before each test and closed after it.
 */
import type { Simulator } from '../../simulator';
import type { SimHandle } from './sim';
import { startWaitingServer, type WaitingServer } from './waiting';

export const TRY_SAMPLE = '/api/ai_studio/try_sample';

/** The names (first value of each row) of each generate request BHuman received, in order. */
export const sentNames = (sim: Simulator, path = TRY_SAMPLE) =>
	sim.requests
		.filter((r) => r.method === 'POST' && r.path === path)
		.map((r) => (r.body.names as string[][]).map(([name]) => name));

/** The generation ids BHuman made for a name (what was paid), oldest first. */
export const idsOf = (sim: Simulator, name: string) =>
	[...sim.generations.values()]
		.filter((record) => record.text[0] === name && !record.seeded)
		.sort((a, b) => a.createdMs - b.createdMs)
		.map((record) => record.id);

/** A fake n8n (its executions, waiting and retries) per test, on the simulator's credentials. */
export function withWaitingServer(s: SimHandle): { readonly server: WaitingServer } {
	let server: WaitingServer | undefined;
	beforeEach(async () => {
		server = await startWaitingServer({ credentials: s.credentials });
	});
	afterEach(async () => {
		await server?.close();
	});
	return {
		get server() {
			if (!server) throw new Error('the waiting server runs inside tests only');
			return server;
		},
	};
}
