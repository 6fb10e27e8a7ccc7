/**
 * @module origins/registry
 * Origin flavour → adapter. Add a flavour by adding a folder and one line here.
 */
import { openAICompatible } from './openai';
import type { OriginAdapter } from './types';

const ADAPTERS: Record<string, OriginAdapter> = {
  openai: openAICompatible,
};

export const ORIGIN_FLAVOURS = Object.keys(ADAPTERS);

/** The adapter for a flavour (unknown flavours were refused when the service was saved). */
export function originAdapter(flavour: string): OriginAdapter {
  return ADAPTERS[flavour] ?? openAICompatible;
}
