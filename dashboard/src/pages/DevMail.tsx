/**
 * @module pages/DevMail
 * The local mail outbox (only when the worker runs with MAIL_MODE=outbox).
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { query } from '../api/client';
import type { MailMessage } from '../api/types';
import { useResource } from '../api/use-resource';
import { Empty, ErrorNote, Loading } from '../components/states';
import { formatDateTime } from '../lib/time';

/** /dev/mail */
export function DevMailPage() {
  const [to, setTo] = useState('');
  const [filter, setFilter] = useState('');
  const mail = useResource<{ messages: MailMessage[] }>(`/api/dev/mail${query({ to: filter })}`);
  const [openId, setOpenId] = useState<string | null>(null);
  const messages = mail.data?.messages ?? [];
  const open = messages.find((m) => m.id === openId) ?? null;

  return (
    <main className="plain-page">
      <div className="page-header">
        <div>
          <h1>Mail outbox</h1>
          <p className="muted">
            Mail the local gateway would have sent. <Link to="/">Back to the dashboard</Link>
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="secondary" onClick={mail.reload}>
            Refresh
          </button>
        </div>
      </div>
      <form
        className="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(to.trim());
        }}
      >
        <div className="field">
          <label htmlFor="mail-to">Recipient</label>
          <input id="mail-to" type="email" value={to} onChange={(e) => setTo(e.target.value)} placeholder="all recipients" />
        </div>
        <div className="actions end">
          <button type="submit" className="secondary">
            Filter
          </button>
        </div>
      </form>
      {mail.status === 'loading' && !mail.data && <Loading what="Loading mail…" />}
      {mail.status === 'error' && (
        <ErrorNote
          message={
            mail.status === 'error' && mail.message.includes('found')
              ? 'The mail outbox is off: the gateway sends real e-mail (MAIL_MODE is not "outbox").'
              : mail.message
          }
          onRetry={mail.reload}
        />
      )}
      {mail.data && messages.length === 0 && <Empty>No mail yet.</Empty>}
      {messages.length > 0 && (
        <div className="mail">
          <ul className="mail-list" aria-label="Messages">
            {messages.map((m) => (
              <li key={m.id} className={m.id === openId ? 'selected' : ''}>
                <button type="button" onClick={() => setOpenId(m.id)} aria-current={m.id === openId ? 'true' : undefined}>
                  <span className="mail-subject">{m.subject}</span>
                  <span className="mail-meta">
                    {m.to} · {formatDateTime(m.createdAt)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <article className="card mail-body" aria-label="Message">
            {open ? (
              <>
                <h2>{open.subject}</h2>
                <p className="mail-meta">
                  To {open.to} · {formatDateTime(open.createdAt, true)}
                </p>
                <pre className="mail-text">{open.text}</pre>
                {open.links.length > 0 && (
                  <>
                    <h3>Links</h3>
                    <ul className="mail-links">
                      {open.links.map((l) => (
                        <li key={l}>
                          <a href={l}>{l}</a>
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </>
            ) : (
              <Empty>Open a message to read it.</Empty>
            )}
          </article>
        </div>
      )}
    </main>
  );
}
