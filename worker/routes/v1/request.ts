/**
 * @module routes/v1/request
 * Reads and checks an inference request body. Only the fields the gateway acts on are checked
 * (by hand: this is the hot path); everything else is forwarded to the origin untouched.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import type { Endpoint } from '../../services/catalog';

export interface InferenceRequest {
  body: Record<string, unknown>;
  bytes: number;
  model: string;
  stream: boolean;
  requestedMaxTokens: number | null;
  clientWantsUsage: boolean;
}

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const decoder = new TextDecoder();

const bad = (message: string, param: string | null = null) =>
  new ApiError({ code: 'invalid_request', message, ...(param ? { param } : {}) });

/** Reads the body (refusing oversize ones before buffering them all) and parses the JSON. */
export async function readInferenceBody(c: Context<AppEnv>): Promise<{ body: Record<string, unknown>; bytes: number }> {
  const limit = Number(c.env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES;
  const tooLarge = () => new ApiError({ code: 'payload_too_large', message: `Request body exceeds ${limit} bytes.` });
  const declared = Number(c.req.header('content-length'));
  if (declared > limit) throw tooLarge();
  const raw = c.req.raw.body;
  if (!raw) throw new ApiError({ code: 'invalid_json', message: 'Request body is empty; send a JSON object.' });
  const reader = raw.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const joined = chunks.length === 1 ? chunks[0] : concat(chunks, bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(joined));
  } catch {
    throw new ApiError({ code: 'invalid_json', message: 'Request body is not valid JSON.' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError({ code: 'invalid_json', message: 'Request body must be a JSON object.' });
  return { body: parsed as Record<string, unknown>, bytes };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Checks the parameters the gateway relies on for an endpoint. */
export function checkInference(endpoint: Endpoint, body: Record<string, unknown>, bytes: number): InferenceRequest {
  if (typeof body.model !== 'string' || !body.model) throw bad('You must provide a model parameter.', 'model');
  if (endpoint === 'chat' && (!Array.isArray(body.messages) || body.messages.length === 0)) throw bad("'messages' must be a non-empty array.", 'messages');
  if (endpoint === 'completions' && body.prompt === undefined) throw bad("'prompt' is required.", 'prompt');
  if (endpoint === 'completions' && Array.isArray(body.prompt) && body.prompt.length > 1 && typeof body.prompt[0] !== 'number') {
    // A batch of prompts yields one completion each; reserve and bill them as separate requests.
    throw bad("A batch of several prompts is not supported by this gateway; send one request per prompt.", 'prompt');
  }
  if (endpoint === 'embeddings' && (body.input === undefined || body.input === '' || (Array.isArray(body.input) && body.input.length === 0))) {
    throw bad("'input' must be a non-empty string or array.", 'input');
  }
  for (const param of ['max_tokens', 'max_completion_tokens'] as const) {
    if (body[param] !== undefined && body[param] !== null && !positiveInt(body[param])) throw bad(`'${param}' must be a positive integer.`, param);
  }
  for (const param of ['n', 'best_of'] as const) {
    if (body[param] !== undefined && body[param] !== null && body[param] !== 1) {
      throw bad(`'${param}' other than 1 is not supported by this gateway; send separate requests.`, param);
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw bad("'stream' must be a boolean.", 'stream');
  const stream = endpoint !== 'embeddings' && body.stream === true;
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) throw bad("'stream_options' must be an object.", 'stream_options');
  const requested = (body.max_tokens ?? body.max_completion_tokens ?? null) as number | null;
  return {
    body,
    bytes,
    model: body.model,
    stream,
    requestedMaxTokens: requested,
    clientWantsUsage: stream && (options as { include_usage?: unknown } | undefined)?.include_usage === true,
  };
}
