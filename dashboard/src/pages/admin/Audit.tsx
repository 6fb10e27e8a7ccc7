/**
 * @module pages/admin/Audit
 * The admin audit log (the latest 500 actions): who did what to which object, and the details
 * the action recorded.
 */
import { Fragment, useState } from 'react';
import { useMe } from '../../api/session';
import type { AuditEntry } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { DataTable, resourceState, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usdAuto } from '../../lib/money';
import { formatDateTime, isoTime } from '../../lib/time';

const ACTION_WORDS: Record<string, string> = {
  'account.adjust': 'Adjusted credit',
  'account.write_off': 'Wrote off a negative balance',
  'account.suspend': 'Suspended an account',
  'account.activate': 'Activated an account',
  'management_key.revoke': 'Revoked a management key',
  'promotion.create': 'Created a promotion code',
  'review.resolve': 'Resolved a review item',
};

const DETAIL_LABELS: Record<string, string> = { amountMicros: 'amount', seq: 'journal entry', keyId: 'key', maxUses: 'maximum uses', expiresAt: 'expires' };

function actionWords(action: string): string {
  return ACTION_WORDS[action] ?? action.replace(/[._]/g, ' ');
}

function detailLabel(name: string): string {
  return (
    DETAIL_LABELS[name] ??
    name
      .replace(/Micros$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase()
  );
}

function detailValue(name: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  // µUSD fields are integers; anything else ending in Micros is shown as it was recorded.
  if (name.endsWith('Micros') && typeof value === 'number' && Number.isSafeInteger(value)) return usdAuto(value);
  if (name === 'expiresAt' && (typeof value === 'number' || typeof value === 'string')) return formatDateTime(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The recorded JSON as label/value pairs; anything that is not an object is shown as it is. */
function Details({ json }: { json: string | null }) {
  let value: unknown = null;
  try {
    value = json === null ? null : JSON.parse(json);
  } catch {
    return <code className="break">{json}</code>;
  }
  if (value === null) return <span className="muted">None</span>;
  if (typeof value !== 'object' || Array.isArray(value)) return <code className="break">{JSON.stringify(value)}</code>;
  return (
    <dl className="kv">
      {Object.entries(value as Record<string, unknown>).map(([name, v]) => (
        <Fragment key={name}>
          <dt>{detailLabel(name)}</dt>
          <dd>{detailValue(name, v)}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** /admin/audit */
export function AdminAuditPage() {
  const me = useMe();
  const audit = useResource<{ entries: AuditEntry[] }>('/api/admin/audit');
  const [action, setAction] = useState('all');
  const all = audit.data?.entries ?? [];
  const actions = [...new Set(all.map((e) => e.action))].sort();
  const list = action === 'all' ? audit.data?.entries : all.filter((e) => e.action === action);

  function actor(value: string) {
    if (value === 'admin') return <>Admin token</>;
    const userId = value.startsWith('user:') ? value.slice(5) : null;
    if (userId && userId === me.user.id)
      return (
        <>
          You<div className="sub">{me.user.email}</div>
        </>
      );
    return userId ? (
      <>
        User <code>{userId}</code>
      </>
    ) : (
      <code>{value}</code>
    );
  }

  const columns: Column<AuditEntry>[] = [
    { key: 'time', header: 'Time', cell: (e) => formatDateTime(e.createdAt, true), sortValue: (e) => e.createdAt, csv: { time: (e) => isoTime(e.createdAt) } },
    { key: 'actor', header: 'Actor', cell: (e) => actor(e.actor), sortValue: (e) => e.actor, csv: { actor: (e) => e.actor } },
    {
      key: 'action',
      header: 'Action',
      sortValue: (e) => actionWords(e.action),
      csv: { action: (e) => e.action },
      cell: (e) => (
        <>
          {actionWords(e.action)}
          <div className="sub">
            <code>{e.action}</code>
          </div>
        </>
      ),
    },
    {
      key: 'target',
      header: 'Target',
      sortValue: (e) => e.target,
      csv: { target: (e) => e.target },
      cell: (e) => (e.target ? <code className="soft-break">{e.target}</code> : '—'),
    },
    { key: 'details', header: 'Details', cell: (e) => <Details json={e.details} />, csv: { details: (e) => e.details } },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every admin action, newest first (the latest 500)."
        actions={
          <div className="field inline">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="all">All actions</option>
              {actions.map((a) => (
                <option key={a} value={a}>
                  {actionWords(a)}
                </option>
              ))}
            </select>
          </div>
        }
      />
      <section className="card flush">
        <DataTable
          columns={columns}
          rows={list}
          rowKey={(e) => e.id}
          {...resourceState(audit)}
          loadingText="Loading the audit log…"
          csvName="audit-log"
          empty={
            all.length === 0
              ? 'No admin actions yet. Credit adjustments, suspensions, promotion codes and resolved reviews show up here.'
              : `No action “${actionWords(action)}” in the log.`
          }
        />
      </section>
    </>
  );
}
