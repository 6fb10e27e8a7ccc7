/**
 * @module pages/keys/Keys
 * API keys: create (secret shown once), list, edit limits, revoke with confirmation.
 */
import { useState } from 'react';
import { api, errorText } from '../../api/client';
import type { KeyInput, KeyView } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { CopyButton } from '../../components/CopyButton';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../../components/states';
import { usdAuto, usdTotal } from '../../lib/money';
import { formatCount, formatDateTime } from '../../lib/time';
import { KeyForm } from './KeyForm';
import { EMPTY_KEY_FORM, valuesFromKey } from './key-form-values';

/** A one-line summary of a key's limits. */
function limitsSummary(key: KeyView): string {
  const l = key.limits;
  const parts: string[] = [];
  if (l.allowedServices?.length) parts.push(`models: ${l.allowedServices.join(', ')}`);
  if (l.requestsPerMinute) parts.push(`${formatCount(l.requestsPerMinute)} req/min`);
  if (l.tokensPerMinute) parts.push(...Object.entries(l.tokensPerMinute).map(([m, n]) => `${formatCount(n)} tok/min${m === '*' ? '' : ` (${m})`}`));
  if (l.maxConcurrent) parts.push(`${l.maxConcurrent} concurrent`);
  if (l.spendLimitMicros !== null) parts.push(`${usdAuto(l.spendLimitMicros)} lifetime`);
  if (l.periodSpendLimitMicros !== null) parts.push(`${usdAuto(l.periodSpendLimitMicros)}/${l.period ?? 'month'}`);
  if (key.expiresAt) parts.push(`expires ${formatDateTime(key.expiresAt)}`);
  return parts.length ? parts.join(' · ') : 'No limits';
}

/** /keys */
export function KeysPage() {
  const keys = useResource<{ keys: KeyView[] }>('/api/account/keys');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<KeyView | null>(null);
  const [revoking, setRevoking] = useState<KeyView | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);

  async function create(input: KeyInput) {
    try {
      const result = await api<{ key: KeyView; secret: string }>('/api/account/keys', { method: 'POST', body: input });
      setCreating(false);
      setCreated({ name: result.key.name, secret: result.secret });
      keys.reload();
    } catch (e) {
      throw new Error(errorText(e));
    }
  }

  async function update(input: KeyInput) {
    if (!editing) return;
    try {
      await api(`/api/account/keys/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body: input });
      setEditing(null);
      keys.reload();
    } catch (e) {
      throw new Error(errorText(e));
    }
  }

  async function revoke() {
    if (!revoking) return;
    setRevokeBusy(true);
    setRevokeError(null);
    try {
      await api(`/api/account/keys/${encodeURIComponent(revoking.id)}/revoke`, { method: 'POST' });
      setRevoking(null);
      keys.reload();
    } catch (e) {
      setRevokeError(errorText(e));
    } finally {
      setRevokeBusy(false);
    }
  }

  const list = keys.data?.keys ?? [];
  const active = list.filter((k) => k.status === 'active');
  const revoked = list.filter((k) => k.status !== 'active');

  return (
    <>
      <PageHeader title="API keys" description="Keys call the OpenAI-compatible /v1 API. Each can carry its own limits."
        actions={<button type="button" className="primary" onClick={() => { setCreated(null); setCreating(true); }}>Create key</button>} />

      {created && (
        <section className="card secret-card" aria-label="Your new key">
          <h2>Your new key “{created.name}”</h2>
          <p>Copy it now and keep it somewhere safe: <strong>it is shown only once</strong>.</p>
          <div className="secret-row">
            <code data-testid="new-key-secret" className="secret">{created.secret}</code>
            <CopyButton text={created.secret} />
          </div>
          <button type="button" className="link-button" onClick={() => setCreated(null)}>Done</button>
        </section>
      )}

      <section className="card flush">
        {keys.status === 'loading' && !keys.data && <Loading what="Loading your keys…" />}
        {keys.status === 'error' && <ErrorNote message={keys.message} onRetry={keys.reload} />}
        {keys.data && list.length === 0 && <Empty>You have no API keys yet. Create one to start calling the API.</Empty>}
        {list.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr><th>Name</th><th>Key</th><th>Last used</th><th className="num">Spend</th><th>Limits</th><th><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {[...active, ...revoked].map((k) => (
                  <tr key={k.id} className={k.status === 'active' ? '' : 'dim'}>
                    <td data-label="Name"><strong>{k.name}</strong>{k.status !== 'active' && <span className="badge">revoked</span>}
                      <div className="sub">Created {formatDateTime(k.createdAt)}</div></td>
                    <td data-label="Key"><code className="nowrap">{k.prefix}…{k.last4}</code></td>
                    <td data-label="Last used">{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'}</td>
                    <td data-label="Spend" className="num">{usdTotal(k.spentMicros)}
                      {k.limits.periodSpendLimitMicros !== null && <div className="sub">{usdTotal(k.periodSpentMicros)} this {k.limits.period ?? 'month'}</div>}</td>
                    <td data-label="Limits" className="limits">{limitsSummary(k)}</td>
                    <td className="row-actions">
                      {k.status === 'active' && (
                        <>
                          <button type="button" className="secondary small" onClick={() => setEditing(k)}>Edit</button>
                          <button type="button" className="danger-outline small" onClick={() => { setRevokeError(null); setRevoking(k); }}>Revoke</button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <Dialog open={creating} title="Create an API key" onClose={() => setCreating(false)}>
        <KeyForm initial={EMPTY_KEY_FORM} submitLabel="Create" onSubmit={create} onCancel={() => setCreating(false)} />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)}>
        {editing && <KeyForm key={editing.id} initial={valuesFromKey(editing)} submitLabel="Save changes" onSubmit={update} onCancel={() => setEditing(null)} />}
      </Dialog>
      <ConfirmDialog open={revoking !== null} title="Revoke this key?" confirmLabel="Revoke key" busy={revokeBusy} error={revokeError}
        onConfirm={revoke} onClose={() => setRevoking(null)}>
        <p>Requests with <code>{revoking?.prefix}…{revoking?.last4}</code> (“{revoking?.name}”) will be refused from the next call. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}
