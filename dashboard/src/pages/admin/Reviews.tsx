/**
 * @module pages/admin/Reviews
 * Top-ups and reconciliation findings that need an operator's decision.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { ReviewItem } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading, Notice } from '../../components/states';
import { formatDateTime } from '../../lib/time';

/** /admin/reviews */
export function AdminReviewsPage() {
  const [status, setStatus] = useState<'open' | 'resolved'>('open');
  const reviews = useResource<{ reviews: ReviewItem[] }>(`/api/admin/reviews?status=${status}`);
  const [resolving, setResolving] = useState<ReviewItem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = reviews.data?.reviews ?? [];

  return (
    <>
      <PageHeader title="Reviews" description="Top-ups needing a decision (Bitcoin paid late or short, disputes) and reconciliation alerts." />
      {/* biome-ignore lint/a11y/useSemanticElements: a toggle-button bar, not a form; a fieldset would bring form semantics and its own box */}
      <div className="tabs" role="group" aria-label="Which items">
        <button type="button" className={status === 'open' ? 'tab active' : 'tab'} aria-pressed={status === 'open'} onClick={() => setStatus('open')}>
          Open
        </button>
        <button
          type="button"
          className={status === 'resolved' ? 'tab active' : 'tab'}
          aria-pressed={status === 'resolved'}
          onClick={() => setStatus('resolved')}
        >
          Resolved
        </button>
      </div>
      {notice && <Notice>{notice}</Notice>}
      <section className="card flush">
        {reviews.status === 'loading' && !reviews.data && <Loading what="Loading review items…" />}
        {reviews.status === 'error' && <ErrorNote message={reviews.message} onRetry={reviews.reload} />}
        {reviews.data && list.length === 0 && <Empty>{status === 'open' ? 'Nothing needs review. All clear.' : 'No resolved items yet.'}</Empty>}
        {list.length > 0 && (
          <ul className="review-list">
            {list.map((r) => (
              <li key={r.id}>
                <div>
                  <p className="review-kind">{r.kind.replace(/_/g, ' ')}</p>
                  <p>{r.message}</p>
                  <p className="sub">
                    {formatDateTime(r.createdAt)}
                    {r.accountId && (
                      <>
                        {' '}
                        · account <code>{r.accountId}</code>
                      </>
                    )}
                    {r.topupId && (
                      <>
                        {' '}
                        · top-up <code>{r.topupId}</code>
                      </>
                    )}
                    {r.resolvedAt && <> · resolved {formatDateTime(r.resolvedAt)}</>}
                  </p>
                </div>
                {r.status === 'open' && (
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() => {
                      setNotice(null);
                      setResolving(r);
                    }}
                  >
                    Resolve
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <Dialog open={resolving !== null} title="Resolve this item" onClose={() => setResolving(null)}>
        {resolving && (
          <ResolveForm
            item={resolving}
            onDone={() => {
              setResolving(null);
              setNotice('Resolved.');
              reviews.reload();
            }}
            onCancel={() => setResolving(null)}
          />
        )}
      </Dialog>
    </>
  );
}

function ResolveForm({ item, onDone, onCancel }: { item: ReviewItem; onDone(): void; onCancel(): void }) {
  const [note, setNote] = useState('');
  const { busy, error, setError, run } = useAction();
  function submit(event: FormEvent) {
    event.preventDefault();
    if (note.trim().length < 3) return setError('Note: say what you decided, at least 3 characters.');
    void run(async () => {
      await api(`/api/admin/reviews/${encodeURIComponent(item.id)}/resolve`, { method: 'POST', body: { note: note.trim() } });
      onDone();
    });
  }
  return (
    <form className="form" onSubmit={submit}>
      <p>{item.message}</p>
      <div className="field">
        <label htmlFor="resolve-note">Note</label>
        <textarea
          id="resolve-note"
          required
          rows={3}
          maxLength={1000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          aria-describedby="resolve-note-hint"
        />
        <p className="hint" id="resolve-note-hint">
          What you checked and decided; it goes into the audit log. Credit changes are made on the Accounts page.
        </p>
      </div>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Mark resolved'}
        </button>
      </div>
    </form>
  );
}
