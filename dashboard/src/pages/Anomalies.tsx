/**
 * @module pages/Anomalies
 * Anomalies: what the detectors found, with the numbers behind each (observed, baseline, the line
 * it crossed, requests), resolving them (which resumes a paused key), the thresholds, and what each
 * detector does. Admins and owners resolve and change thresholds; everyone else reads.
 */
import { useId, useState, type FormEvent } from 'react';
import type { Anomaly, AnomalySettings } from '../api/anomaly-types';
import { api, ApiError } from '../api/client';
import { atLeast } from '../api/roles';
import { useRole } from '../api/session';
import { useAction } from '../api/use-action';
import { useResource } from '../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorNote, Loading, Notice } from '../components/states';
import { microsToInput, parseUsdToMicros, usdAuto } from '../lib/money';
import { formatDateTime, isoTime } from '../lib/time';

const LIST = '/api/account/anomalies';
const SETTINGS = '/api/account/anomaly-settings';

const KIND_WORDS: Record<Anomaly['kind'], string> = {
  key_spend: 'Key spend (5 minutes)',
  daily_jump: 'Cost per request jumped',
  daily_outlier: 'Unusual day',
};

const what = (a: Anomaly) => (a.kind === 'key_spend' ? `Key ${a.keyName ?? a.keyId ?? ''}, ${formatDateTime(a.windowStart)}` : (a.day ?? ''));
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** The sentence behind the figures, from the anomaly's details. */
function reason(a: Anomaly): string {
  const d = a.details;
  if (a.kind === 'daily_outlier') return `${num(d.observedSigmas) ?? '?'}σ above the ${num(d.historyDays) ?? 14}-day mean (line at ${num(d.sigma) ?? '?'}σ)`;
  if (a.kind === 'daily_jump')
    return `cost ${num(d.costChangePercent) ?? '?'} %, requests ${num(d.requestsChangePercent) ?? '?'} %, cost per request ${num(d.costPerRequestChangePercent) ?? '?'} %`;
  return `${num(d.multiplier) ?? '?'}× the key's usual 5-minute spend`;
}

const COLUMNS: Column<Anomaly>[] = [
  {
    key: 'what',
    header: 'Anomaly',
    cell: (a) => (
      <>
        <strong>{KIND_WORDS[a.kind]}</strong>
        <div className="sub">{what(a)}</div>
      </>
    ),
    sortValue: (a) => a.createdAt,
    csv: { kind: (a) => a.kind, day: (a) => a.day ?? '', key_id: (a) => a.keyId ?? '', window_start: (a) => isoTime(a.windowStart) },
  },
  {
    key: 'observed',
    header: 'Spend',
    align: 'right',
    cell: (a) => (
      <>
        <strong>{usdAuto(a.observedMicros)}</strong>
        <div className="sub">
          usual {usdAuto(a.baselineMicros)}, line {usdAuto(a.thresholdMicros)}
        </div>
      </>
    ),
    sortValue: (a) => a.observedMicros,
    csv: { observed_micros: (a) => a.observedMicros, baseline_micros: (a) => a.baselineMicros, threshold_micros: (a) => a.thresholdMicros },
  },
  {
    key: 'requests',
    header: 'Requests',
    align: 'right',
    cell: (a) => (
      <>
        {a.requests ?? '—'}
        <div className="sub">usual {a.baselineRequests ?? '—'}</div>
      </>
    ),
    sortValue: (a) => a.requests,
    csv: { requests: (a) => a.requests ?? '', baseline_requests: (a) => a.baselineRequests ?? '' },
  },
  { key: 'why', header: 'Why', cell: reason },
  {
    key: 'status',
    header: 'Status',
    cell: (a) =>
      a.status === 'resolved' ? (
        <span className="sub">Resolved {formatDateTime(a.resolvedAt)}</span>
      ) : a.action === 'paused' ? (
        <strong>Key paused</strong>
      ) : (
        'Open'
      ),
    sortValue: (a) => a.status,
    csv: { status: (a) => a.status, action: (a) => a.action },
  },
];

/** /anomalies */
export function AnomaliesPage() {
  const [status, setStatus] = useState<'' | 'open' | 'resolved'>('');
  const list = useResource<{ anomalies: Anomaly[]; nextBefore: string | null }>(`${LIST}${status ? `?status=${status}` : ''}`);
  const admin = atLeast(useRole(), 'admin');
  const [resolving, setResolving] = useState<Anomaly | null>(null);
  const resolution = useAction();

  const paused = resolving?.kind === 'key_spend' && resolving.action === 'paused';
  const columns = admin
    ? [
        ...COLUMNS,
        actionsColumn<Anomaly>((a) =>
          a.status === 'open' ? (
            <button type="button" className="secondary" onClick={() => setResolving(a)}>
              {a.kind === 'key_spend' && a.action === 'paused' ? 'Resume key' : 'Resolve'}
            </button>
          ) : null,
        ),
      ]
    : COLUMNS;

  function confirm() {
    if (!resolving) return;
    void resolution.run(async () => {
      await api(`${LIST}/${encodeURIComponent(resolving.id)}/resolve`, { method: 'POST' });
      setResolving(null);
      list.reload();
    });
  }

  return (
    <>
      <PageHeader title="Anomalies" description="Spending that does not look like your usual pattern, caught within minutes or by the next day." />
      <div className="field narrow">
        <label htmlFor="anomaly-status">Show</label>
        <select id="anomaly-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="">All</option>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
        </select>
      </div>
      <DataTable
        title="Detected"
        columns={columns}
        rows={list.data?.anomalies}
        rowKey={(a) => a.id}
        empty="Nothing unusual found."
        csvName="anomalies"
        {...resourceState(list)}
      />
      <ConfirmDialog
        open={resolving !== null}
        title={paused ? 'Resume this key?' : 'Resolve this anomaly?'}
        confirmLabel={paused ? 'Resume key' : 'Resolve'}
        busy={resolution.busy}
        error={resolution.error}
        onConfirm={confirm}
        onClose={() => setResolving(null)}
      >
        {paused
          ? 'The key is admitted again from its next request. Make sure the spending was expected (or the key is not leaked) first.'
          : 'It stays in the list as resolved, under your name.'}
      </ConfirmDialog>
      <Explanation />
      <SettingsCard admin={admin} />
    </>
  );
}

function Explanation() {
  return (
    <section className="card" aria-labelledby="anomaly-how">
      <h2 id="anomaly-how">How anomalies are found</h2>
      <ul>
        <li>
          <strong>Key spend</strong>, in real time: each key's spend in its current 5-minute window against its own usual windows (the 95th percentile of the
          past 7 days). Above the multiplier and the floor, an alert goes out and, if you chose so, the key is paused (its requests get a 403) until someone
          here resumes it.
        </li>
        <li>
          <strong>Cost per request jumped</strong>, each day after midnight in your time zone: yesterday cost more than the jump percentage over the day before,{' '}
          <em>and</em> so did its cost per request — cost grew faster than traffic explains (longer prompts, a loop, an injected instruction). More traffic at
          the usual price is not flagged.
        </li>
        <li>
          <strong>Unusual day</strong>: yesterday cost more than σ standard deviations above the mean of the 14 days before it (at least 7 days of history; σ
          counts as at least 5 % of the mean). Days under the minimum are never flagged.
        </li>
      </ul>
    </section>
  );
}

function SettingsCard({ admin }: { admin: boolean }) {
  const settings = useResource<{ settings: AnomalySettings }>(SETTINGS);
  const [saved, setSaved] = useState(false);
  const current = settings.data?.settings;
  return (
    <section className="card" aria-labelledby="anomaly-settings">
      <h2 id="anomaly-settings">Thresholds</h2>
      {settings.status === 'error' && <ErrorNote message={settings.message} onRetry={settings.reload} />}
      {!current && settings.status === 'loading' && <Loading what="Loading the thresholds…" />}
      {!admin && <Notice tone="info">Only admins and owners change the thresholds.</Notice>}
      {current && (
        <SettingsForm
          key={JSON.stringify(current)}
          settings={current}
          disabled={!admin}
          saved={saved}
          onSaving={() => setSaved(false)}
          onSaved={() => {
            setSaved(true);
            settings.reload();
          }}
        />
      )}
    </section>
  );
}

type Field = 'keySpend.multiplier' | 'keySpend.floorMicros' | 'daily.jumpPercent' | 'daily.sigma' | 'daily.minDayMicros';

function SettingsForm(props: { settings: AnomalySettings; disabled: boolean; saved: boolean; onSaving(): void; onSaved(): void }) {
  const id = useId();
  const s = props.settings;
  const [v, setV] = useState({
    keyEnabled: s.keySpend.enabled,
    pauseKeys: s.keySpend.pauseKeys,
    multiplier: String(s.keySpend.multiplier),
    floor: microsToInput(s.keySpend.floorMicros),
    dailyEnabled: s.daily.enabled,
    jumpPercent: String(s.daily.jumpPercent),
    sigma: String(s.daily.sigma),
    minDay: microsToInput(s.daily.minDayMicros),
  });
  const [fieldError, setFieldError] = useState<{ field: Field; message: string } | null>(null);
  const { busy, error, run } = useAction();
  const set = (patch: Partial<typeof v>) => {
    setV((old) => ({ ...old, ...patch }));
    setFieldError(null);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || props.disabled) return;
    props.onSaving();
    const floorMicros = parseUsdToMicros(v.floor);
    const minDayMicros = parseUsdToMicros(v.minDay);
    if (floorMicros === null) return setFieldError({ field: 'keySpend.floorMicros', message: 'A dollar amount, such as 2 or 0.50.' });
    if (minDayMicros === null) return setFieldError({ field: 'daily.minDayMicros', message: 'A dollar amount, such as 1 or 0.50.' });
    const body: AnomalySettings = {
      keySpend: { enabled: v.keyEnabled, multiplier: Number(v.multiplier), floorMicros, pauseKeys: v.pauseKeys },
      daily: { enabled: v.dailyEnabled, jumpPercent: Number(v.jumpPercent), sigma: Number(v.sigma), minDayMicros },
    };
    void run(async () => {
      try {
        await api(SETTINGS, { method: 'PUT', body });
      } catch (e) {
        // The API names the field at fault; it is shown beside that field.
        if (e instanceof ApiError && e.param) return setFieldError({ field: e.param as Field, message: e.message.replace(/^[\w.]+:\s*/, '') });
        throw e;
      }
      props.onSaved();
    });
  }

  const input = (field: Field, label: string, value: string, onChange: (text: string) => void, hint: string) => (
    <div className="field narrow">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        inputMode="decimal"
        value={value}
        disabled={props.disabled}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={fieldError?.field === field ? true : undefined}
      />
      <p className="hint">{hint}</p>
      {fieldError?.field === field && <p className="field-error">{fieldError.message}</p>}
    </div>
  );

  return (
    <form className="form" onSubmit={submit} noValidate>
      <fieldset disabled={props.disabled}>
        <legend>Key spend, every 5 minutes</legend>
        <label className="check">
          <input type="checkbox" checked={v.keyEnabled} onChange={(e) => set({ keyEnabled: e.target.checked })} /> Watch each key's spend
        </label>
        {input('keySpend.multiplier', 'Times the usual window', v.multiplier, (t) => set({ multiplier: t }), '1.5 to 100.')}
        {input('keySpend.floorMicros', 'And above (USD per 5 minutes)', v.floor, (t) => set({ floor: t }), 'So new and quiet keys are not flagged.')}
        <label className="check">
          <input type="checkbox" checked={v.pauseKeys} onChange={(e) => set({ pauseKeys: e.target.checked })} /> Pause the key until someone here resumes it
        </label>
      </fieldset>
      <fieldset disabled={props.disabled}>
        <legend>Daily</legend>
        <label className="check">
          <input type="checkbox" checked={v.dailyEnabled} onChange={(e) => set({ dailyEnabled: e.target.checked })} /> Check each day
        </label>
        {input('daily.jumpPercent', 'Cost per request up more than (%)', v.jumpPercent, (t) => set({ jumpPercent: t }), '10 to 1000.')}
        {input('daily.sigma', 'Day above the 14-day mean by (σ)', v.sigma, (t) => set({ sigma: t }), '1 to 10.')}
        {input('daily.minDayMicros', 'Ignore days under (USD)', v.minDay, (t) => set({ minDay: t }), 'Small days are never anomalous.')}
      </fieldset>
      {error && <ErrorNote message={error} />}
      {props.saved && <Notice>Thresholds saved: they apply from the next request and the next daily check.</Notice>}
      {!props.disabled && (
        <div className="actions start">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save thresholds'}
          </button>
        </div>
      )}
    </form>
  );
}
