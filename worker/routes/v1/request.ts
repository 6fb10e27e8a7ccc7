/**
 * @module routes/v1/request
 * Reads and checks an inference request body: OpenAI's shapes (validate-body.ts, by hand: this
 * is the hot path), then the gateway's own limits (one prompt and one choice per request).
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import type { Endpoint } from '../../services/catalog';
import { validateBody } from './validate-body';

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

const bad = (message: string, param: string | null = null) => new ApiError({ code: 'invalid_request', message, ...(param ? { param } : {}) });

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
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ApiError({ code: 'invalid_json', message: 'Request body must be a JSON object.' });
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

/** Checks the body against OpenAI's shapes for the endpoint, then the gateway's own limits. */
export function checkInference(endpoint: Endpoint, body: Record<string, unknown>, bytes: number): InferenceRequest {
  validateBody(endpoint, body);
  if (endpoint === 'completions' && Array.isArray(body.prompt) && body.prompt.length > 1 && typeof body.prompt[0] !== 'number') {
    // A batch of prompts yields one completion each; reserve and bill them as separate requests.
    throw bad('A batch of several prompts is not supported by this gateway; send one request per prompt.', 'prompt');
  }
  for (const param of ['n', 'best_of'] as const) {
    if (body[param] !== undefined && body[param] !== null && body[param] !== 1) {
      throw bad(`'${param}' other than 1 is not supported by this gateway; send separate requests.`, param);
    }
  }
  const stream = endpoint !== 'embeddings' && body.stream === true;
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  const requested = (body.max_tokens ?? body.max_completion_tokens ?? null) as number | null;
  return {
    body,
    bytes,
    model: body.model as string,
    stream,
    requestedMaxTokens: requested,
    clientWantsUsage: stream && options?.include_usage === true,
  };
}
