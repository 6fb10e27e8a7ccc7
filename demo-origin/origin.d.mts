/** Types for ./origin.mjs, the fake OpenAI-compatible GPU server used by the demo and tests. */

/** How the origin misbehaves, if at all. */
export type DemoOriginFailure =
  /** Every /v1 request answers 500 with an OpenAI-shaped server_error. */
  | 'status500'
  /** Never answers; rejects with the request signal's reason once it aborts. */
  | 'hang'
  /** Throws `TypeError('fetch failed')` at once, like a refused connection. */
  | 'refuse'
  /** Streams a few tokens then errors the body; non-streamed bodies break half way. */
  | 'midstream';

export interface DemoOriginOptions {
  /** When set, every /v1 request needs `Authorization: Bearer <apiKey>` (else 401 invalid_api_key). */
  apiKey?: string;
  /** Delay before the response headers (and so before the first chunk). Default 0. */
  latencyMs?: number;
  /** Stream pacing: 1000 / tokensPerSecond ms between chunks; 0 (default) means no delay. */
  tokensPerSecond?: number;
  /** false: never include a `usage` object anywhere (like servers that do not report usage). Default true. */
  sendUsage?: boolean;
  /** Completion length cap when the request sets neither max_tokens nor max_completion_tokens. Default 32. */
  defaultMaxTokens?: number;
  /** Model ids served; any other model gets 404 model_not_found. Default ['demo-llm', 'demo-embed']. */
  models?: readonly string[];
  fail?: DemoOriginFailure;
}

/** One record per request the origin received, updated live while its response streams. */
export interface DemoOriginRequestRecord {
  /** URL path, e.g. "/v1/chat/completions". */
  path: string;
  /** The request body's model, null when there was none (or no body). */
  model: string | null;
  /** Whether the request asked for a stream. */
  stream: boolean;
  /** Prompt tokens by the documented rules (also when usage is not reported). */
  promptTokens: number;
  /** Completion tokens handed to the reader so far. */
  tokensSent: number;
  /** The request signal aborted or the body was cancelled before the response completed. */
  aborted: boolean;
  /** The full successful response body was produced ([DONE] included for streams). */
  completed: boolean;
  /** Status of the response returned, null while pending or when the handler threw. */
  status: number | null;
}

export interface DemoOrigin {
  (request: Request): Promise<Response>;
  /** Every request in arrival order. */
  readonly stats: DemoOriginRequestRecord[];
}

/** Create a demo origin handler; `handler.stats` gets one live-updated record per request. */
export function createDemoOrigin(options?: DemoOriginOptions): DemoOrigin;

/** Prompt tokens of a chat request: words in all message text + 3 per message + 3. */
export function chatPromptTokens(messages: ReadonlyArray<{ content?: unknown }>): number;

/** Prompt tokens of one legacy-completion prompt or embedding input: words, or token-id count. */
export function inputTokens(input: string | ReadonlyArray<number>): number;
