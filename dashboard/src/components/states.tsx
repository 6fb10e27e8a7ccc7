/**
 * @module components/states
 * Loading, empty and error states in plain words.
 */
import type { ReactNode } from 'react';

/** "Loading …" with a live region so screen readers hear it. */
export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p className="state" role="status">
      {what}
    </p>
  );
}

/** A plain-words empty state. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** An error message with an optional retry. */
export function ErrorNote({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="note error" role="alert">
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A success or info message. */
export function Notice({ children, tone = 'ok' }: { children: ReactNode; tone?: 'ok' | 'info' | 'warn' }) {
  return (
    <div className={`note ${tone}`} role="status">
      {children}
    </div>
  );
}
