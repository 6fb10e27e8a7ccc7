/**
 * @module pages/Budgets
 * Budgets: spend caps (or alert-only limits) per organisation, project, member, key, model or end
 * user, each over a calendar window; the calendar those windows follow; and the alerts they
 * raised. Admins and owners change them; everyone else reads.
 */
import { useState } from 'react';
import { api, errorText } from '../api/client';
import { useMembers, useProjects } from '../api/organization-data';
import { atLeast } from '../api/roles';
import { useRole } from '../api/session';
import type { Budget, BudgetInput, Calendar, KeyView } from '../api/types';
import { useResource } from '../api/use-resource';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { PageHeader } from '../components/PageHeader';
import { Empty, ErrorNote, Loading } from '../components/states';
import { AlertsSection } from './budgets/Alerts';
import { BudgetCard } from './budgets/BudgetCard';
import { BudgetForm } from './budgets/BudgetForm';
import { EMPTY_BUDGET_FORM, valuesFromBudget } from './budgets/budget-form-values';
import { amountWords, scopeWords } from './budgets/budget-words';
import { CalendarCard } from './budgets/CalendarCard';

/** /budgets */
export function BudgetsPage() {
  const budgets = useResource<{ budgets: Budget[]; calendar: Calendar }>('/api/account/budgets');
  const keys = useResource<{ keys: KeyView[] }>('/api/account/keys');
  const projects = useProjects();
  const members = useMembers();
  const admin = atLeast(useRole(), 'admin');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Budget | null>(null);
  const [deleting, setDeleting] = useState<Budget | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  // Bumped after every save, so the alerts are read again too.
  const [saves, setSaves] = useState(0);

  const allKeys = keys.data?.keys;
  const names = { keys: allKeys, projects: projects.data?.projects, members: members.data?.members };
  const calendar = budgets.data?.calendar;

  function saved() {
    budgets.reload();
    setSaves((n) => n + 1);
  }

  // Errors are thrown on to the form, which shows each by the field it names.
  async function create(input: BudgetInput) {
    await api<{ budget: Budget }>('/api/account/budgets', { method: 'POST', body: input });
    setCreating(false);
    saved();
  }

  async function update(input: BudgetInput) {
    if (!editing) return;
    await api<{ budget: Budget }>(`/api/account/budgets/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body: input });
    setEditing(null);
    saved();
  }

  async function remove() {
    if (!deleting || deleteBusy) return;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await api(`/api/account/budgets/${encodeURIComponent(deleting.id)}`, { method: 'DELETE' });
      setDeleting(null);
      saved();
    } catch (e) {
      setDeleteError(errorText(e));
    } finally {
      setDeleteBusy(false);
    }
  }

  const list = budgets.data?.budgets;
  return (
    <>
      <PageHeader
        title="Budgets"
        description="Cap what your organisation, a project, a member, a key, a model or each end user may spend per hour, day, week, month or in total; or only get alerts."
        actions={
          admin && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New budget
            </button>
          )
        }
      />

      <CalendarCard calendar={calendar} loading={budgets.status === 'loading'} editable={admin} onSaved={saved} />

      {budgets.status === 'error' && <ErrorNote message={budgets.message} onRetry={budgets.reload} />}
      {budgets.status === 'loading' && !list && <Loading what="Loading your budgets…" />}
      {list?.length === 0 && (
        <section className="card">
          <Empty>No budgets yet. Add one to cap spend or to be alerted as it grows.</Empty>
        </section>
      )}
      {list && list.length > 0 && (
        <div className="budget-list">
          {list.map((b) => (
            <BudgetCard
              key={b.id}
              budget={b}
              names={names}
              onEdit={admin ? () => setEditing(b) : undefined}
              onDelete={
                admin
                  ? () => {
                      setDeleteError(null);
                      setDeleting(b);
                    }
                  : undefined
              }
            />
          ))}
        </div>
      )}

      <AlertsSection refreshKey={saves} />

      <Dialog open={creating} title="New budget" onClose={() => setCreating(false)}>
        <BudgetForm
          initial={EMPTY_BUDGET_FORM}
          keys={allKeys}
          keysError={keys.status === 'error' ? keys.message : null}
          projects={names.projects}
          members={names.members}
          calendar={calendar}
          submitLabel="Add budget"
          onSubmit={create}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)}>
        {editing && (
          <BudgetForm
            key={editing.id}
            initial={valuesFromBudget(editing)}
            editing
            keys={allKeys}
            keysError={keys.status === 'error' ? keys.message : null}
            projects={names.projects}
            members={names.members}
            calendar={calendar}
            submitLabel="Save changes"
            onSubmit={update}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this budget?"
        confirmLabel="Delete budget"
        busy={deleteBusy}
        error={deleteError}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        {deleting && (
          <p>
            “{deleting.name}” ({scopeWords(deleting, names)}, {amountWords(deleting)}) stops applying from the next request. Its past alerts stay in the list.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
