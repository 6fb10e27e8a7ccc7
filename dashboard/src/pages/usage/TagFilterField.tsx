/**
 * @module pages/usage/TagFilterField
 * The Usage page's feature-tag filter: people type `name=value` and apply it (Enter or "Apply");
 * the text is checked here first, so a typo reads as a plain message under the field rather than
 * as the API's 400. Mount it with `key={applied}` so a filter set elsewhere (a features row's
 * "Show only", the browser's back button) resets what it shows.
 */
import { useId, useState } from 'react';
import { parseTagFilter } from '../../lib/tag-filter';

interface TagFilterFieldProps {
  /** The tag applied now ('' for none). */
  applied: string;
  /** Applies a checked tag ('' clears the filter). */
  onApply(tag: string): void;
}

/** A labelled `name=value` input with Apply and Clear, and its validation message. */
export function TagFilterField({ applied, onApply }: TagFilterFieldProps) {
  const id = useId();
  const [draft, setDraft] = useState(applied);
  const [error, setError] = useState<string | null>(null);

  function apply() {
    const parsed = parseTagFilter(draft);
    if (parsed && !parsed.ok) {
      setError(parsed.message);
      return;
    }
    setError(null);
    onApply(parsed?.tag ?? '');
  }

  return (
    <div className="field tag-filter">
      <label htmlFor={`${id}-input`}>Feature tag</label>
      <div className="input-row">
        <input
          id={`${id}-input`}
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder="feature=rag"
          value={draft}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => {
            setDraft(e.target.value);
            setError(null);
          }}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            apply();
          }}
        />
        <button type="button" className="secondary" onClick={apply}>
          Apply
        </button>
        {applied && (
          <button type="button" className="secondary" aria-label="Clear the tag filter" onClick={() => onApply('')}>
            Clear
          </button>
        )}
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
