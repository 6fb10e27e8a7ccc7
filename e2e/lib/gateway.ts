/**
 * Calling the gateway the way a customer does: the OpenAI SDK with an inference key.
 */
import OpenAI from 'openai';

/** The demo model the e2e stack serves. */
export const MODEL = 'demo-llm';

/** SDK calls against the gateway at `gatewayUrl`. */
export function gateway(gatewayUrl: string) {
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0, timeout: 30_000 });

  /** A short non-streamed chat completion; the gateway's cost headers and the usage. */
  async function chat(apiKey: string, content = 'Say hello') {
    const { data, response } = await sdk(apiKey)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 8 })
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
