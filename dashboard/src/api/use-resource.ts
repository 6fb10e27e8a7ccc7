/**
 * @module api/use-resource
 * Loads one GET endpoint for a page, with loading/error state and a reload.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, errorText } from './client';

export type Resource<T> =
  | { status: 'loading'; data?: T; reload(): void }
  | { status: 'error'; message: string; data?: T; reload(): void }
  | { status: 'ready'; data: T; reload(): void };

/** Fetches `path` (null: wait) and refetches when it changes or on reload(). */
export function useResource<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ status: 'loading' | 'error' | 'ready'; data?: T; message?: string }>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation is the reload, so it must re-run the effect.
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ status: 'loading', data: s.data }));
    api<T>(path).then(
      (data) => live && setState({ status: 'ready', data }),
      (error: unknown) => live && setState((s) => ({ status: 'error', message: errorText(error), data: s.data })),
    );
    return () => {
      live = false;
    };
  }, [path, generation]);

  if (state.status === 'ready') return { status: 'ready', data: state.data as T, reload };
  if (state.status === 'error') return { status: 'error', message: state.message ?? '', data: state.data, reload };
  return { status: 'loading', data: state.data, reload };
}
