/**
 * @module pages/budgets/CalendarCard
 * The time zone and week start every budget window follows, with an edit dialog.
 */
import { useId, useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Calendar } from '../../api/types';
import { useAction } from '../../api/use-action';
import { Dialog } from '../../components/Dialog';
import { ErrorNote, Loading, Notice } from '../../components/states';
import { timeZone as browserZone } from '../../lib/time';
import { WEEKDAYS } from './budget-words';

/** Every IANA zone the browser knows, when it can list them (for the input's suggestions). */
function knownTimeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

interface CalendarCardProps {
  calendar: Calendar | undefined;
  loading: boolean;
  /** The caller's role may change the calendar (admins and owners). */
  editable: boolean;
  onSaved(): void;
}

/** The calendar card: shows the settings and saves new ones (then `onSaved`). */
export function CalendarCard({ calendar, loading, editable, onSaved }: CalendarCardProps) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  return (
    <section className="card calendar-card" aria-labelledby="calendar-heading">
      <div className="budget-head">
        <h2 id="calendar-heading">Calendar</h2>
        {editable && (
          <button
            type="button"
            className="secondary small"
            disabled={!calendar}
            onClick={() => {
              setSaved(false);
              setEditing(true);
            }}
            aria-label="Edit calendar"
          >
            Edit
          </button>
        )}
      </div>
      {calendar ? (
        <dl className="kv calendar-facts">
          <dt>Time zone</dt>
          <dd>{calendar.timezone}</dd>
          <dt>Weeks start on</dt>
          <dd>{WEEKDAYS[calendar.weekStart] ?? calendar.weekStart}</dd>
        </dl>
      ) : (
        loading && <Loading what="Loading the calendar…" />
      )}
      <p className="hint">Day, week and month windows start at midnight in this zone.</p>
      {saved && <Notice>Calendar saved: it applies from the next request.</Notice>}
      <Dialog open={editing} title="Budget calendar" onClose={() => setEditing(false)}>
        {calendar && (
          <CalendarForm
            calendar={calendar}
            onCancel={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              setSaved(true);
              onSaved();
            }}
          />
        )}
      </Dialog>
    </section>
  );
}

function CalendarForm({ calendar, onCancel, onSaved }: { calendar: Calendar; onCancel(): void; onSaved(): void }) {
  const id = useId();
  const [timezone, setTimezone] = useState(calendar.timezone);
  const [weekStart, setWeekStart] = useState(String(calendar.weekStart));
  const { busy, error, setError, run } = useAction();
  const zones = useMemo(knownTimeZones, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const zone = timezone.trim();
    if (!zone) return setError('Time zone: name one, e.g. Europe/Berlin.');
    // The server has the last word; a name this browser cannot use at all is refused here.
    try {
      new Intl.DateTimeFormat(undefined, { timeZone: zone });
    } catch {
      return setError(`Time zone: '${zone}' is not an IANA time zone (e.g. Europe/Berlin).`);
    }
    void run(async () => {
      await api<{ calendar: Calendar }>('/api/account/calendar', { method: 'PUT', body: { timezone: zone, weekStart: Number(weekStart) } });
      onSaved();
    });
  }

  return (
    <form className="form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-tz`}>Time zone</label>
        <input
          id={`${id}-tz`}
          value={timezone}
          onChange={(e) => setTimezone(e.target.value)}
          list={zones.length ? `${id}-zones` : undefined}
          required
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-tz-hint`}
        />
        {zones.length > 0 && (
          <datalist id={`${id}-zones`}>
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        )}
        <p className="hint" id={`${id}-tz-hint`}>
          An IANA name such as Europe/Berlin or Asia/Kolkata.{' '}
          {browserZone && browserZone !== timezone && (
            <button type="button" className="link-button" onClick={() => setTimezone(browserZone)}>
              Use mine ({browserZone})
            </button>
          )}
        </p>
      </div>
      <div className="field narrow">
        <label htmlFor={`${id}-week`}>Weeks start on</label>
        <select id={`${id}-week`} value={weekStart} onChange={(e) => setWeekStart(e.target.value)}>
          {/* Monday first, as most calendars do; the value is the API's 0 (Sunday) … 6. */}
          {[1, 2, 3, 4, 5, 6, 0].map((d) => (
            <option key={d} value={d}>
              {WEEKDAYS[d]}
            </option>
          ))}
        </select>
      </div>
      <p className="hint">Takes effect from the next request.</p>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save calendar'}
        </button>
      </div>
    </form>
  );
}
