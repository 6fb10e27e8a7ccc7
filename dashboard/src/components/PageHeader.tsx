/**
 * @module components/PageHeader
 * A page's heading with an optional description and actions on the right.
 */
import { useEffect, type ReactNode } from 'react';

/** The h1 of a page. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  useDocumentTitle(title);
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="muted">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** A stat tile: label over a big value. */
export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <p className="stat-label">{label}</p>
      <p className="stat-value">{value}</p>
      {hint && <p className="stat-hint">{hint}</p>}
    </div>
  );
}

/** Sets the tab title to "<title> · GPU Gateway". */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · GPU Gateway`;
  }, [title]);
}
