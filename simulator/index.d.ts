// Type declarations for the BHuman API simulator (simulator/index.js), for TypeScript tests.

export interface SimSizes {
  videoInstances: number;
  workspaces: number;
  products: number;
  campaigns: number;
  categories: number;
  tags: number;
  generatedVideosPerInstance: number;
  generatedVideosPerCampaign: number;
  speakeasyProjects: number;
  savedWebhooks: number;
}

export interface RenderOptions {
  /** Time a row stays `queued` (default 200). */
  queuedMs: number;
  /** Time a row then stays `processing` (default 800). */
  processingMs: number;
  /** Extra delay per row index, so rows of one request finish one after another (default 0). */
  staggerMs: number;
}

export interface CallbackOptions {
  /** Send each callback this many times (default 1; 0 disables callbacks). */
  repeat: number;
  /** Shuffle callbacks of rows that finish at the same moment (default false). */
  reorder: boolean;
  /** Wait before sending each callback (default 0). */
  delayMs: number;
  /** Delay of the `whatsapp.ready` callback after the succeeded one (default 300). */
  whatsappDelayMs: number;
}

/** The presets of simulator/README.md ("Dialects"): which public source each stands for. */
export type DialectName = 'guide' | 'reference-2026-07' | 'reference-2026-10' | 'swagger-2023';

/** The forms in which BHuman's public sources disagree, one knob each; the first value is the guide's. */
export interface DialectKnobs {
  /**
   * `none`: answers as the guide shows them; `records`: generated_video_by_id, campaign?id= and
   * video_instance?id= answer `{code: 200, result: <record>}`; `all`: every JSON answer of the API
   * is `{code: 200, result}` (lists: the page's records, without total). Errors never are.
   */
  envelope: 'none' | 'records' | 'all';
  /** `bearer`: the list routes refuse the (right) Basic key with 401; every other route takes it. */
  listAuth: 'basic' | 'bearer';
  /** Callbacks go to callback_url as given, with `?id=<id>` appended naively, or with `?`/`&` as fits. */
  callbackIdQuery: 'none' | 'naive' | 'proper';
  /** What a successful render's status is called in records, lists and callbacks. */
  successState: 'succeeded' | 'completed';
}

/** The resolved dialect; `name` is the preset it equals, or `custom`. */
export interface Dialect extends DialectKnobs {
  name: DialectName | 'custom';
}

/**
 * A preset name, or knobs over a preset (`preset`, `dialect` or `name`) or, without one, over the
 * current dialect (the guide's at start).
 */
export type DialectSpec =
  | DialectName
  | (Partial<DialectKnobs> & { preset?: DialectName; dialect?: DialectName; name?: DialectName | 'custom' });

export type ListOrder = 'oldest' | 'newest';

export interface SimulatorOptions extends Partial<DialectKnobs> {
  /** 0 = any free port (default). The host is always 127.0.0.1. */
  port?: number;
  keyId?: string;
  keySecret?: string;
  latencyMs?: number;
  seed?: number;
  sizes?: Partial<SimSizes>;
  render?: Partial<RenderOptions>;
  callbacks?: Partial<CallbackOptions>;
  /** Default true; false logs one line per API request to stdout. */
  quiet?: boolean;
  /**
   * The order of the generated-video lists (BHuman documents none): `oldest` first (default, the
   * order of creation) or `newest` first. reset() restores it.
   */
  listOrder?: ListOrder;
  /**
   * Default `guide` (today's answers). Knobs given at the top level of the options override it.
   * A preset's callback repeat count yields to `callbacks.repeat`.
   */
  dialect?: DialectSpec;
}

/** A value from JSON.parse, typed as TypeScript's lib types it (tests read the fields they expect). */
export type ParsedJson = ReturnType<typeof JSON.parse>;

export interface RequestLogEntry {
  method: string;
  /** Path without query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names, including `authorization`. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or null when absent or not JSON (JSON.parse's value, typed as TypeScript's lib types it). */
  body: ParsedJson;
  /** Status answered; 0 when an injected fault dropped the connection; null while pending. */
  status: number | null;
  at: number;
}

export interface Fault {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | string;
  /** Exact path (no query), or a prefix ending with `*`. Omitted = any path. */
  path?: string;
  /** Default 500. */
  status?: number;
  /** JSON body (or a string sent as text/plain). Default `{code, message}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /**
   * The route acts on the request first (a generate creates its generations, callbacks and all),
   * then the fault answers (or drops) in its place: a gateway or connection that lost BHuman's
   * answer. Default false: the request never reaches BHuman.
   */
  handled?: boolean;
  /** How many matching requests fail (default 1; -1 or Infinity = forever). */
  times?: number;
  /** How many matching requests pass first (default 0). */
  after?: number;
}

export interface CallbackSent {
  url: string;
  /** The JSON body posted, as parsed. */
  body: ParsedJson;
  status?: number;
  error?: string;
  /** When the POST started (ms since the epoch). */
  at: number;
  /** Milliseconds from the start of the POST to the receiver's answer (or the error). */
  ms: number;
}

export interface VideoInstance {
  id: string;
  name: string;
  user_id: string;
  folder_id: string;
  actor_id: string | null;
  product_id: string | null;
  industry: number;
  use_case: string | null;
  created_at: string;
  updated_at: string;
  variables: string[];
}

export interface Workspace {
  workspace_id: string;
  user_id: string;
  name: string;
  role: 'owner' | 'member';
  description: string;
  created_at: string;
  updated_at: string;
}

export interface Product {
  id: string;
  name: string;
  category: number;
  description: string | null;
  video_url: string | null;
  image_url: string | null;
  thumbnail: string | null;
  creator_id: string;
  actor_id: string;
  length: number;
  downloads: number;
  ratings: number;
  reviews: number;
  tags: number[] | null;
  created_at: string;
}

export interface Campaign {
  id: string;
  name: string;
  video_instance_id: string | null;
  workspace_id: string | null;
  status: string;
  whatsapp_enabled: boolean;
  variables: string[];
  created_at: string;
  updated_at: string;
}

export interface Folder {
  id: string;
  name: string;
  workspace_id: string | null;
  created_at: string;
}

/** A Speakeasy (dubbing) project; BHuman does not document the shape: assumed. */
export interface SpeakeasyProject {
  id: string;
  name: string;
  workspace_id: string | null;
  language: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** A saved webhook (GET/POST /api/ai_studio/webhook); `webhook` is its URL. Shape assumed. */
export interface SavedWebhook {
  id: string;
  name: string;
  webhook: string;
  created_at: string;
}

export interface NamedId {
  id: number;
  name: string;
}

export interface SimData {
  videoInstances: VideoInstance[];
  workspaces: Workspace[];
  products: Product[];
  categories: NamedId[];
  tags: NamedId[];
  campaigns: Campaign[];
  folders: Folder[];
  speakeasyProjects: SpeakeasyProject[];
  savedWebhooks: SavedWebhook[];
}

/** `completed` is `succeeded` under dialect successState `completed`. */
export type GenerationStatus = 'queued' | 'processing' | 'succeeded' | 'completed' | 'failed';

/** Public record of GET /api/ai_studio/generated_video_by_id (and the list endpoints). */
export interface GeneratedVideo {
  id: string;
  video_id: string;
  user_id: string;
  actor_id: string;
  video_instance_id: string | null;
  campaign_id: string | null;
  campaign_result_id: string | null;
  status: GenerationStatus;
  share_url: string | null;
  url: string | null;
  vimeo_url: string | null;
  thumbnail: string | null;
  gif: string | null;
  whatsapp_video_url?: string;
  message: string | null;
  execution_name: string;
  row_index: number;
  text: string[];
  checksum: number;
  created_at: string;
  updated_at: string;
}

/** What a campaign generate request asked for beyond its rows (GenerationRecord.extras). */
export interface GenerationExtras {
  /** This row's asset values (one per background). */
  assets?: string[];
  backgrounds?: Array<Record<string, unknown>>;
  /** As sent (undefined when absent). */
  enableLipsync?: boolean | null;
  enableSubtitles?: boolean | null;
  /** The effective mode: keep_original when the request left it out or sent "". */
  generationMode: 'keep_original' | 'full_script';
}

/** Internal generation record (shape may change; prefer the HTTP API in tests). */
export interface GenerationRecord {
  id: string;
  videoInstanceId: string | null;
  campaignId: string | null;
  campaignResultId: string | null;
  rowIndex: number;
  text: string[];
  createdMs: number;
  queuedMs: number;
  totalMs: number;
  outcome: 'succeeded' | 'failed' | 'never';
  callbackUrl: string | null;
  whatsapp: boolean;
  seeded: boolean;
  /** Campaign renders only (undefined for try_sample and seeded records). */
  extras?: GenerationExtras;
  forced?: { status: 'succeeded' | 'failed'; atMs: number; message: string };
  [key: string]: unknown;
}

export interface SimState {
  url: string;
  port: number;
  keyId: string;
  seed: number;
  latencyMs: number;
  render: RenderOptions;
  callbacks: CallbackOptions;
  dialect: Dialect;
  sizes: SimSizes;
  counts: Record<string, number | Record<string, number>>;
}

export declare class Simulator {
  constructor(options?: SimulatorOptions);
  readonly url: string;
  readonly port: number;
  readonly keyId: string;
  readonly keySecret: string;
  latencyMs: number;
  readonly requests: RequestLogEntry[];
  readonly callbacksSent: CallbackSent[];
  readonly generations: Map<string, GenerationRecord>;
  /** Active faults with their counters (seen = matching requests, fired = answered by the fault). */
  readonly faults: Array<Record<string, unknown> & { seen: number; fired: number }>;
  readonly data: SimData;
  /** The dialect now answered in. */
  readonly dialect: Dialect;
  start(): Promise<this>;
  clearRequests(): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  setCallbacks(opts: Partial<CallbackOptions>): void;
  setRender(opts: Partial<RenderOptions>): void;
  /** The order of the generated-video lists from now on (reset() restores the start's). */
  setListOrder(order: ListOrder): void;
  readonly listOrder: ListOrder;
  /**
   * Switch the dialect (TypeError for an unknown name or value). A preset that sets a callback
   * repeat count (reference-2026-10: 1) sets callbacks.repeat too.
   */
  setDialect(spec: DialectSpec): Dialect;
  /**
   * Clears requests, faults, live generations, pending/sent callbacks, and the folders, instances
   * and saved webhooks created through the API (product/use, speakeasy_projects/import, webhook).
   * Restores the dialect given at start (and callbacks.repeat, if a preset switch changed it).
   */
  reset(): void;
  /** Force a generation to finish now; returns its public record. Throws if unknown. */
  completeGeneration(id: string, status?: 'succeeded' | 'completed' | 'failed', message?: string): GeneratedVideo;
  /**
   * Re-send a finished generation's callback (or its whatsapp.ready with event set); `url` in the
   * answer is where it went (callbackIdQuery applies).
   */
  replayCallback(id: string, opts?: { event?: 'whatsapp.ready'; url?: string }): { url: string; body: unknown };
  state(): SimState;
  /** Closes the server, sockets, pending timers and callback deliveries. */
  close(): Promise<void>;
}

export declare function startSimulator(options?: SimulatorOptions): Promise<Simulator>;

export declare const DEFAULT_SIZES: Readonly<SimSizes>;

export declare const media: {
  mp4(id?: string): Buffer;
  png(id?: string): Buffer;
  gif(): Buffer;
  crc32(buf: Uint8Array): number;
};
