/**
 * @module components/AuthCard
 * The centred card the sign-in pages share.
 */
import type { ReactNode } from 'react';
import { useDocumentTitle } from './PageHeader';

/** A centred card with the product name and a heading. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  useDocumentTitle(title);
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          GPU Gateway
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
