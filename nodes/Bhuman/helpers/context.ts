/**
 * Generate's node context: what a Generate run must remember outside its own call. n8n saves the
 * node context with the execution (also when the run fails) and carries it into a retry of the
 * execution (Executions → Retry, both "with original" and "with currently saved workflow"). It
 * holds what one run of the node must remember:
 * - `started`: when the run's first try started: a retry reads BHuman's list of generated videos
 *   from then on (ledger.ts);
 * - `accepted`: the batches sent and what became of them (accepted with their ids, received
 *   without ids, or `unsure`: no clear answer), so that a retry of the run sends only the rows
 *   BHuman has not got (generate.ts);
 * - `wait`: what the resume URL's webhook reads while the execution waits until BHuman calls
 *   back (callbacks.ts).
 * `run` is the node's run index: every run of the node (a new execution, the next pass of a loop)
 * starts the context anew; a retry runs the failed node again under the same run index and
 * continues it.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

/** The key of Generate's context in n8n's node context. */
export const CONTEXT_KEY = 'bhuman';

/** Characters of a row's fingerprint. */
export const PRINT_LENGTH = 16;

/**
 * One batch sent, its rows in the order sent, packed (a 10,000-row run is saved with every
 * execution of it): each row's position among the run's rows, its fingerprint (what was sent for
 * it, PRINT_LENGTH characters each, one after the other) and its generation id (space separated).
 * A batch BHuman received without saying which generation is whose has no ids and the ids BHuman
 * `returned`; a batch that got no clear answer (no HTTP answer, a 5xx, a timeout) has no ids and
 * `unsure` (when it was sent, and what came back).
 */
export interface AcceptedBatch {
	batch: number;
	positions: number[];
	prints: string;
	ids: string;
	returned?: string[];
	unsure?: { at: number; answer: string };
}

/** The wait of Until BHuman Calls Back, for the resume URL's webhook. */
export interface WaitState {
	/** The token of this wait in its callback URL. */
	token: string;
	/** The generations the wait is for (lower case, each once, in item order). */
	ids: string[];
	/** Max Wait, in ms since the epoch: no callback resumes the run after it. */
	deadline: number;
	/**
	 * Those of `ids` that call back another execution (an earlier try's, a reused video's) or none:
	 * asked about at this run's callbacks, never waited for by one.
	 */
	silent?: string[];
}

export interface GenerateContext {
	run: number;
	/** When the first try of this run started (ms since the epoch); absent in older executions. */
	started?: number;
	accepted: AcceptedBatch[];
	wait?: WaitState;
}

/** The node's run index (a retry runs the failed node again under the same one). */
function runIndex(this: IExecuteFunctions): number {
	const index = this.evaluateExpression('{{ $runIndex }}', 0);
	return typeof index === 'number' ? index : 0;
}

/**
 * The context of this run of the node: the one a failed run left, when n8n retries that run
 * (`retried`); otherwise a new one (which replaces what an earlier run of the node left).
 */
export function generateContext(this: IExecuteFunctions): {
	context: GenerateContext;
	retried: boolean;
} {
	const node = this.getContext('node');
	const run = runIndex.call(this);
	const earlier = node[CONTEXT_KEY] as GenerateContext | undefined;
	if (this.getMode() === 'retry' && earlier?.run === run && Array.isArray(earlier.accepted)) {
		return { context: earlier, retried: true };
	}
	const context: GenerateContext = { run, started: Date.now(), accepted: [] };
	node[CONTEXT_KEY] = context;
	return { context, retried: false };
}
