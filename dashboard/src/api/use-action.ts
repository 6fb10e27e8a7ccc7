/**
 * @module api/use-action
 * Busy/error state for a form submit or button action that calls the API: one run at a time,
 * the error in plain words.
 */
import { useCallback, useRef, useState } from 'react';
import { errorText } from './client';

export interface Action {
  /** True while an action runs. */
  busy: boolean;
  /** The message to show, or null. */
  error: string | null;
  /** Sets the message directly (e.g. a validation error before the request). */
  setError(message: string | null): void;
  /**
   * Runs `action` unless one is already running: clears the error, sets busy, and on failure
   * puts `errorText(e)` into `error`. Busy is cleared when it ends either way.
   */
  run(action: () => Promise<void>): Promise<void>;
}

/** Submit state for one form (`initialError`: a message to show before anything ran). */
export function useAction(initialError: string | null = null): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);
  // The in-flight guard is a ref, so two calls in the same tick cannot both start.
  const running = useRef(false);

  const run = useCallback(async (action: () => Promise<void>) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);

  return { busy, error, setError, run };
}
