/**
 * Clients written by others work unchanged against the gateway (issue 10, protocol): the Vercel
 * AI SDK (its OpenAI and OpenAI-compatible providers) and LangChain's ChatOpenAI, non-streamed and
 * streamed, with and without usage. Each is pointed at the worker's own fetch handler.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountStub, createWorld, dispatch, installOrigin } from '../helpers';

afterEach(() => vi.restoreAllMocks());

const PRICE = { inputMicrosPer1M: 1_000_000, outputMicrosPer1M: 2_000_000, requestMicros: 10 };
const fetchWorker = (url: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(url, init));
const words = (text: string) => text.trim().split(/\s+/).length;

describe('the Vercel AI SDK', () => {
  it('generates and streams through the OpenAI-compatible provider, with usage', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const provider = createOpenAICompatible({
      name: 'gateway',
      baseURL: 'http://gateway.test/v1',
      apiKey: world.apiKey,
      fetch: fetchWorker,
      includeUsage: true,
    });
    const done = await generateText({ model: provider.chatModel(world.model), prompt: 'say something', maxOutputTokens: 6, maxRetries: 0 });
    expect(words(done.text)).toBe(6);
    expect(done.usage.outputTokens).toBe(6);

    const streamed = streamText({ model: provider.chatModel(world.model), prompt: 'say something', maxOutputTokens: 7, maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(words(text)).toBe(7);
    expect((await streamed.usage).outputTokens).toBe(7);
    expect(await streamed.finishReason).toBe('length');
    expect((await accountStub(world.accountId).summary()).openReservations).toBe(0);
  });

  it('streams through the OpenAI provider (chat completions)', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const openai = createOpenAI({ baseURL: 'http://gateway.test/v1', apiKey: world.apiKey, fetch: fetchWorker });
    const streamed = streamText({ model: openai.chat(world.model), prompt: 'hello there', maxOutputTokens: 5, maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(words(text)).toBe(5);
    expect((await streamed.usage).outputTokens).toBe(5);
  });
});

describe("LangChain's ChatOpenAI", () => {
  it('invokes and streams, with usage metadata', async () => {
    installOrigin();
    const world = await createWorld({ prices: PRICE });
    const llm = new ChatOpenAI({
      model: world.model,
      apiKey: world.apiKey,
      maxTokens: 4,
      maxRetries: 0,
      configuration: { baseURL: 'http://gateway.test/v1', fetch: fetchWorker },
    });
    const message = await llm.invoke('hello');
    expect(words(String(message.content))).toBe(4);
    expect(message.usage_metadata?.output_tokens).toBe(4);

    let text = '';
    let outputTokens: number | undefined;
    for await (const chunk of await llm.stream('hello again')) {
      text += String(chunk.content);
      outputTokens = chunk.usage_metadata?.output_tokens ?? outputTokens;
    }
    expect(words(text)).toBe(4);
    expect(outputTokens).toBe(4);
  });
});
