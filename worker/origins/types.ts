/**
 * @module origins/types
 * What varies between origin flavours (vLLM, TGI, llama.cpp, Ollama, …) sits behind this
 * interface; the core never names a flavour.
 */
import type { CatalogService, Endpoint } from '../services/catalog';

export interface UpstreamUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface OriginAdapter {
  /** The origin URL for an endpoint. */
  url(service: CatalogService, endpoint: Endpoint): string;
  /** Headers for the origin: its own credential, never the client's key. */
  headers(credential: string | null): Headers;
  /**
   * The body sent upstream: model mapped, `max_tokens` set to what admission granted, and for
   * streams `stream_options.include_usage` forced on.
   */
  body(request: Record<string, unknown>, service: CatalogService, endpoint: Endpoint, maxTokens: number): string;
  /** Usage from a complete (non-streamed) response body or a stream chunk, if it reports any. */
  usage(payload: Record<string, unknown>, endpoint: Endpoint): UpstreamUsage | null;
  /** Text the origin produced in a response body or stream chunk (for tokenizer fallback). */
  text(payload: Record<string, unknown>): string;
  /** Cheap pre-check on a raw stream event: false when it certainly reports no usage. */
  mayCarryUsage(data: string): boolean;
  /** Cheap pre-check on a raw stream event: whether it carries generated text (time to first token). */
  carriesText(data: string): boolean;
}
