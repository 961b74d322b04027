/**
 * The catalogue's resume concern: what reaches the resume URL of a run that waits until BHuman
 * calls back (Generate → Until BHuman Calls Back), what the node answers, and that nothing
 * resumes. resume.test.ts runs each against a waiting run of two generations, the second still
 * rendering, through n8n's waiting webhooks as test/helpers/waiting.ts serves them.
 */
import type { CatalogueEntry } from './catalogue';

/** A generation id that is not of the run. */
export const FOREIGN_ID = '3b241101-e2bb-4255-8caf-4136c566a962';

export interface ResumeCase extends CatalogueEntry {
	/** The callback: its token (`run`: the run's, `none`, or a wrong one), its body. */
	token: 'run' | 'none' | 'wrong';
	/** The body, given the run's two generation ids (the first rendered, the second rendering). */
	body: (ids: [string, string]) => unknown;
	/** Parameters added to the callback URL (with `naive`, after a second "?", as BHuman may). */
	query?: (ids: [string, string]) => Record<string, string>;
	naive?: boolean;
	/** BHuman answers every GET of a generation with 500. */
	bhumanDown?: boolean;
	status: number;
	/** `result` and `reason` (when there is one) of the answer. */
	answer: { result: string; reason?: string };
	/** GETs BHuman saw while the callback was handled. */
	bhumanRequests: number;
}

const done = (id: string) => ({ id, status: 'succeeded', url: `https://cdn.example/${id}.mp4` });

export const cases: ResumeCase[] = [
	{
		concern: 'resume',
		input:
			"A callback to the resume URL without the run's token (a guessed URL: n8n 1.x's execution ids are sequential)",
		outcome:
			'answered 401 "This callback needs a token"; the run keeps waiting, the body is not read',
		token: 'none',
		body: ([first]) => done(first),
		status: 401,
		answer: { result: 'rejected', reason: 'This callback needs a token' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: 'A callback with a wrong token and a forged MP4 URL',
		outcome: 'answered 403 "The token is wrong"; the run keeps waiting',
		token: 'wrong',
		body: ([first]) => ({ ...done(first), url: 'http://evil.example/x.mp4' }),
		status: 403,
		answer: { result: 'rejected', reason: 'The token is wrong' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: 'A callback with the token about a generation that is not of the run',
		outcome: 'answered 403 "Not a generation of this run"; the run keeps waiting',
		token: 'run',
		body: () => done(FOREIGN_ID),
		status: 403,
		answer: { result: 'rejected', reason: 'Not a generation of this run' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: 'A callback without an id',
		outcome: 'answered 400 "The callback has no id"; the run keeps waiting',
		token: 'run',
		body: () => ({ status: 'succeeded' }),
		status: 400,
		answer: { result: 'rejected', reason: 'The callback has no id' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: 'A callback with a status that is not final (processing)',
		outcome: 'answered 200 "noted"; nothing is asked of BHuman, the run keeps waiting',
		token: 'run',
		body: ([first]) => ({ id: first, status: 'processing' }),
		status: 200,
		answer: { result: 'noted', reason: 'not a final status' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: "A whatsapp.ready callback of the run's video",
		outcome: 'answered 200 "noted" (the WhatsApp version is not waited for); the run keeps waiting',
		token: 'run',
		body: ([first]) => ({
			event: 'whatsapp.ready',
			id: first,
			whatsapp_video_url: 'https://cdn.example/w.mp4',
		}),
		status: 200,
		answer: { result: 'noted', reason: 'not a final status' },
		bhumanRequests: 0,
	},
	{
		concern: 'resume',
		input: 'The first video of two is final, the other still renders',
		outcome:
			'answered 200 "waiting" after two requests to BHuman (its own video, whose record has not caught up with the callback yet, then the other video, still rendering); the run keeps waiting',
		token: 'run',
		body: ([first]) => done(first),
		status: 200,
		answer: { result: 'waiting' },
		bhumanRequests: 2,
	},
	{
		concern: 'resume',
		input: 'A final callback while BHuman answers 500 about the other video',
		outcome:
			"answered 503 once BHuman could not be asked (after the node's 3 retries of the GET); nothing goes on after the answer, the run keeps waiting (a repeated delivery asks again; else Max Wait ends it with every id)",
		token: 'run',
		body: ([first]) => done(first),
		bhumanDown: true,
		status: 503,
		answer: { result: 'error' },
		bhumanRequests: 4,
	},
	{
		concern: 'resume',
		input: "A callback with the id in the URL only (BHuman's 2023 Swagger adds it as ?id=…)",
		outcome: 'read as the id of the callback: answered as one with the id in its body',
		token: 'run',
		query: ([first]) => ({ id: first }),
		body: ([first]) => ({ ...done(first), id: undefined }),
		status: 200,
		answer: { result: 'waiting' },
		bhumanRequests: 2,
	},
	{
		concern: 'resume',
		input: 'The URL with ?id=… appended to it naively (…?token=<token>?id=<id>)',
		outcome: 'the token read up to the "?" and the id after it: answered as usual',
		token: 'run',
		naive: true,
		query: ([first]) => ({ id: first }),
		body: ([first]) => ({ ...done(first), id: undefined }),
		status: 200,
		answer: { result: 'waiting' },
		bhumanRequests: 2,
	},
	{
		concern: 'resume',
		input: 'An id in the body and another in the URL',
		outcome:
			'answered 400 "The callback names two generations…": which video it is about is unknown; nothing resumes',
		token: 'run',
		query: ([, second]) => ({ id: second }),
		body: ([first]) => done(first),
		status: 400,
		answer: { result: 'rejected' },
		bhumanRequests: 0,
	},
];

export const entries: CatalogueEntry[] = cases.map(({ concern, input, outcome }) => ({
	concern,
	input,
	outcome,
}));
