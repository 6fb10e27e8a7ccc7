/**
 * @module components/CheckList
 * A multi-select as a fieldset of checkboxes: every choice visible, each with its own label.
 */
import { useId, type ReactNode } from 'react';

export interface CheckOption {
  value: string;
  label: string;
  /** A second, quieter line (an e-mail address under a name). */
  detail?: string;
}

interface CheckListProps {
  legend: string;
  options: readonly CheckOption[];
  selected: readonly string[];
  onChange(selected: string[]): void;
  hint?: ReactNode;
  /** Shown instead of the boxes when there are no options. */
  empty?: ReactNode;
  disabled?: boolean;
}

/** Checkboxes for `options`; `selected` keeps the options' order. */
export function CheckList({ legend, options, selected, onChange, hint, empty, disabled }: CheckListProps) {
  const id = useId();
  function toggle(value: string, on: boolean) {
    const next = new Set(selected);
    if (on) next.add(value);
    else next.delete(value);
    onChange(options.map((o) => o.value).filter((v) => next.has(v)));
  }
  return (
    <fieldset aria-describedby={hint ? `${id}-hint` : undefined} disabled={disabled}>
      <legend>{legend}</legend>
      {options.length === 0 ? (
        <p className="hint">{empty ?? 'Nothing to choose from.'}</p>
      ) : (
        <div className="check-list">
          {options.map((o) => (
            <label key={o.value} className="check">
              <input type="checkbox" checked={selected.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} />
              <span>
                {o.label}
                {o.detail && <span className="sub"> · {o.detail}</span>}
              </span>
            </label>
          ))}
        </div>
      )}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </fieldset>
  );
}
