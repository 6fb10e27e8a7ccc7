/**
 * @module origins/openai
 * Any OpenAI-compatible server (vLLM, TGI's Messages API, llama.cpp server, Ollama's /v1,
 * SGLang, LM Studio). Usage comes as `usage.{prompt_tokens, completion_tokens}`; with
 * `stream_options.include_usage` it arrives in a final chunk whose `choices` is empty.
 */
import type { CatalogService, Endpoint } from '../../services/catalog';
import { pickForwarded } from '../fields';
import type { OriginAdapter, UpstreamUsage } from '../types';

const PATHS: Record<Endpoint, string> = { chat: '/chat/completions', completions: '/completions', embeddings: '/embeddings' };

/**
 * The request fields of OpenAI's API forwarded per endpoint (origins/fields.ts explains the rule).
 * `model`, the output-length fields and `stream_options` are set by `body()` itself; `user`,
 * `metadata` and `store` stay with the gateway.
 */
const SAMPLING = ['frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'seed', 'stop', 'temperature', 'top_p', 'n', 'stream'];
export const FORWARDED: Record<Endpoint, ReadonlySet<string>> = {
  chat: new Set([
    ...SAMPLING,
    'messages',
    'top_logprobs',
    'response_format',
    'tools',
    'tool_choice',
    'parallel_tool_calls',
    'functions',
    'function_call',
    'reasoning_effort',
  ]),
  completions: new Set([...SAMPLING, 'prompt', 'best_of', 'echo', 'suffix']),
  embeddings: new Set(['input', 'encoding_format', 'dimensions']),
};

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const TEXT_DELTA = /"(?:content|text|reasoning_content|arguments)"\s*:\s*"[^"]/;

const count = (value: unknown): number | null => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);

export const openAICompatible: OriginAdapter = {
  url(service, endpoint) {
    return service.originBaseUrl.replace(/\/+$/, '') + PATHS[endpoint];
  },

  headers(credential) {
    const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
    if (credential) headers.set('authorization', `Bearer ${credential}`);
    return headers;
  },

  body(request, service: CatalogService, endpoint, maxTokens) {
    const upstream = pickForwarded(request, FORWARDED[endpoint], service.extraFields, maxTokens);
    upstream.model = service.originModel;
    if (endpoint !== 'embeddings') {
      // max_tokens is always set to the grant (every OpenAI-compatible server reads it; one that
      // predates max_completion_tokens would otherwise generate unbounded), and
      // max_completion_tokens too when the client used it.
      upstream.max_tokens = maxTokens;
      if (request.max_completion_tokens !== undefined && request.max_completion_tokens !== null) upstream.max_completion_tokens = maxTokens;
      if (request.stream === true) upstream.stream_options = { include_usage: true };
    }
    return JSON.stringify(upstream);
  },

  usage(payload, endpoint): UpstreamUsage | null {
    const usage = payload.usage as Record<string, unknown> | null | undefined;
    if (!usage || typeof usage !== 'object') return null;
    const input = count(usage.prompt_tokens);
    const output = endpoint === 'embeddings' ? 0 : count(usage.completion_tokens);
    if (input === null || output === null) return null;
    return { inputTokens: input, outputTokens: output };
  },

  mayCarryUsage(data) {
    return USAGE_OBJECT.test(data);
  },

  carriesText(data) {
    return TEXT_DELTA.test(data);
  },

  text(payload) {
    const choices = payload.choices;
    if (!Array.isArray(choices)) return '';
    let text = '';
    for (const choice of choices as Array<Record<string, unknown>>) {
      if (typeof choice.text === 'string') text += choice.text;
      for (const part of [choice.delta, choice.message] as Array<Record<string, unknown> | undefined>) {
        if (!part || typeof part !== 'object') continue;
        if (typeof part.content === 'string') text += part.content;
        if (typeof part.reasoning_content === 'string') text += part.reasoning_content;
        if (Array.isArray(part.tool_calls)) {
          for (const call of part.tool_calls as Array<{ function?: { name?: unknown; arguments?: unknown } }>) {
            if (typeof call.function?.name === 'string') text += call.function.name;
            if (typeof call.function?.arguments === 'string') text += call.function.arguments;
          }
        }
      }
    }
    return text;
  },
};
