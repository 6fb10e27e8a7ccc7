/**
 * @module tokens
 * Token counts the gateway needs before the origin answers (admission) and when an origin
 * reports no usage (settlement).
 *
 * Admission uses the request body's byte length: every byte-level BPE token covers at least
 * one byte and the JSON around the text outweighs any chat-template tokens, so
 * `bodyBytes + PROMPT_OVERHEAD` is an upper bound on prompt tokens. That bound is what the
 * worst-case cost reserves; it costs no CPU and is refunded at settlement. The tokens-per-minute
 * window reserves the cheaper estimate `bodyBytes / 4` and is corrected at settlement.
 *
 * Settlement without origin usage counts with a real tokenizer (cl100k_base via
 * gpt-tokenizer), loaded lazily because most origins do report usage; such charges are
 * marked estimated.
 */
const PROMPT_OVERHEAD = 32;

/** Upper bound on the prompt tokens a body of this many bytes can hold. */
export function promptTokensUpperBound(bodyBytes: number): number {
  return bodyBytes + PROMPT_OVERHEAD;
}

/** Cheap estimate of prompt tokens for rate windows (corrected at settlement). */
export function promptTokensEstimate(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}

type Encoder = (text: string) => number;
let encoder: Promise<Encoder> | undefined;

/** Loads the tokenizer once per isolate (documented cache). */
function loadEncoder(): Promise<Encoder> {
  encoder ??= import('gpt-tokenizer/encoding/cl100k_base').then((m) => (text: string) => m.countTokens(text));
  return encoder;
}

/** Number of tokens in a text, by the cl100k_base tokenizer. */
export async function countTokens(text: string): Promise<number> {
  if (!text) return 0;
  return (await loadEncoder())(text);
}

/** Collects the prompt text of a request body, per endpoint, with OpenAI's per-message overhead. */
export async function countPromptTokens(body: Record<string, unknown>): Promise<number> {
  if (Array.isArray(body.messages)) {
    let total = 3;
    for (const item of body.messages as unknown[]) {
      // Requests are validated before they get here; a malformed message still counts, never throws.
      const message = item && typeof item === 'object' ? (item as Record<string, unknown>) : {};
      total += 3 + (await countTokens(textOf(message.content))) + (await countTokens(typeof message.name === 'string' ? message.name : ''));
    }
    return total;
  }
  const input = body.prompt ?? body.input;
  const items = Array.isArray(input) ? input : [input];
  let total = 0;
  for (const item of items) {
    if (typeof item === 'number') total += 1;
    else if (Array.isArray(item)) total += item.length;
    else total += await countTokens(textOf(item));
  }
  return total;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}
