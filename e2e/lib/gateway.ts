/**
 * Calling the gateway the way a customer does: the OpenAI SDK with an inference key.
 */
import OpenAI from 'openai';

/** The demo model the e2e stack serves. */
export const MODEL = 'demo-llm';

/** Who and what a request is for (docs/analytics.md): feature tags and the end user. */
export interface Attribution {
  /** Sent as the x-gateway-tags header, e.g. 'feature=rag'. */
  tags?: string;
  /** OpenAI's `user` field. */
  user?: string;
}

/** SDK calls against the gateway at `gatewayUrl`. */
export function gateway(gatewayUrl: string) {
  const sdk = (apiKey: string, tags?: string) =>
    new OpenAI({
      baseURL: `${gatewayUrl}/v1`,
      apiKey,
      maxRetries: 0,
      timeout: 30_000,
      defaultHeaders: tags === undefined ? undefined : { 'x-gateway-tags': tags },
    });

  /** A short non-streamed chat completion; the gateway's cost headers and the usage. */
  async function chat(apiKey: string, content = 'Say hello', { tags, user }: Attribution = {}) {
    const { data, response } = await sdk(apiKey, tags)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 8, user })
      .withResponse();
    const header = (name: string) => response.headers.get(name);
    return {
      requestId: header('x-request-id') ?? '',
      costMicros: Number(header('x-gateway-cost-micros')),
      priceVersion: Number(header('x-gateway-price-version')),
      promptTokens: data.usage?.prompt_tokens ?? NaN,
      completionTokens: data.usage?.completion_tokens ?? NaN,
    };
  }

  /** Chats until the gateway refuses (at most `tries` requests); the SDK's error, or null. */
  async function chatUntilRefused(apiKey: string, tries = 60): Promise<InstanceType<typeof OpenAI.APIError> | null> {
    for (let i = 0; i < tries; i++) {
      try {
        await chat(apiKey);
      } catch (error) {
        if (!(error instanceof OpenAI.APIError)) throw error;
        return error;
      }
    }
    return null;
  }

  return { chat, chatUntilRefused };
}
