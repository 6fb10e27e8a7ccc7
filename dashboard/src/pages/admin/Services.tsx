/**
 * @module pages/admin/Services
 * The catalog: each service's current price version, its history, and new price versions.
 */
import { useState, type FormEvent } from 'react';
import { api, errorText } from '../../api/client';
import type { Price, Service } from '../../api/types';
import { useAction } from '../../api/use-action';
import { useResource } from '../../api/use-resource';
import { actionsColumn, DataTable, resourceState, type Column } from '../../components/DataTable';
import { Dialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { ErrorNote, Loading } from '../../components/states';
import { usdPlain, usdPrecise } from '../../lib/money';
import { formatCount, formatDateTime } from '../../lib/time';
import { NewServiceForm } from './NewService';

function priceText(p: Price): string {
  return `${usdPrecise(p.inputMicrosPer1M)} in · ${usdPrecise(p.outputMicrosPer1M)} out per 1M tokens${p.requestMicros ? ` · ${usdPrecise(p.requestMicros)}/request` : ''}`;
}

const SERVICE_COLUMNS: Column<Service>[] = [
  {
    key: 'model',
    header: 'Model',
    sortValue: (s) => s.name,
    csv: { model: (s) => s.name, endpoints: (s) => s.endpoints.join(' '), max_output_tokens: (s) => s.maxOutputTokens },
    cell: (s) => (
      <>
        <strong>{s.name}</strong>
        <div className="sub">
          {s.endpoints.join(', ')} · max {formatCount(s.maxOutputTokens)} output tokens
        </div>
      </>
    ),
  },
  {
    key: 'origin',
    header: 'Origin',
    sortValue: (s) => s.originBaseUrl,
    csv: { origin_base_url: (s) => s.originBaseUrl, origin_flavour: (s) => s.originFlavour, origin_model: (s) => s.originModel },
    cell: (s) => (
      <>
        <code className="break">{s.originBaseUrl}</code>
        <div className="sub">
          {s.originFlavour}
          {s.originModel !== s.name ? ` · ${s.originModel}` : ''}
        </div>
      </>
    ),
  },
  {
    key: 'price',
    header: 'Price',
    cell: (s) => priceText(s.price),
    csv: {
      input_usd_per_1m: (s) => usdPlain(s.price.inputMicrosPer1M),
      output_usd_per_1m: (s) => usdPlain(s.price.outputMicrosPer1M),
      request_usd: (s) => usdPlain(s.price.requestMicros),
    },
  },
  {
    key: 'version',
    header: 'Version',
    align: 'right',
    testId: 'price-version',
    cell: (s) => `v${s.priceVersion}`,
    sortValue: (s) => s.priceVersion,
    csv: { price_version: (s) => s.priceVersion },
  },
  {
    key: 'status',
    header: 'Status',
    sortValue: (s) => s.status,
    csv: { status: (s) => s.status },
    cell: (s) => <span className={`status ${s.status === 'active' ? 'good' : 'bad'}`}>{s.status === 'active' ? 'Active' : 'Disabled'}</span>,
  },
];

/** /admin/services */
export function AdminServicesPage() {
  const services = useResource<{ services: Service[] }>('/api/admin/services');
  const [editing, setEditing] = useState<Service | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  async function toggle(s: Service) {
    setStatusError(null);
    try {
      await api(`/api/admin/services/${encodeURIComponent(s.id)}`, { method: 'PATCH', body: { status: s.status === 'active' ? 'disabled' : 'active' } });
      services.reload();
    } catch (e) {
      setStatusError(errorText(e));
    }
  }

  const columns = [
    ...SERVICE_COLUMNS,
    actionsColumn<Service>((s) => (
      <>
        <button type="button" className="secondary small" onClick={() => setEditing(s)}>
          Edit prices
        </button>
        <button type="button" className="secondary small" onClick={() => void toggle(s)}>
          {s.status === 'active' ? 'Disable' : 'Enable'}
        </button>
      </>
    )),
  ];

  return (
    <>
      <PageHeader
        title="Services"
        description="Models the gateway serves and what they cost. A price change adds a new price version; past charges keep theirs."
        actions={
          <button type="button" className="secondary" onClick={() => setAdding(true)}>
            Add service
          </button>
        }
      />
      {statusError && <ErrorNote message={statusError} />}
      <section className="card flush">
        <DataTable
          columns={columns}
          rows={services.data?.services}
          rowKey={(s) => s.id}
          rowClassName={(s) => (s.status === 'active' ? '' : 'dim')}
          {...resourceState(services)}
          loadingText="Loading services…"
          csvName="services"
          empty="No services yet. Add the first model with “Add service”."
        />
      </section>
      <Dialog open={adding} title="Add a service" onClose={() => setAdding(false)}>
        {adding && (
          <NewServiceForm
            onCreated={() => {
              setAdding(false);
              services.reload();
            }}
            onCancel={() => setAdding(false)}
          />
        )}
      </Dialog>
      <Dialog open={editing !== null} title={`Prices of ${editing?.name ?? ''}`} onClose={() => setEditing(null)}>
        {editing && (
          <PriceEditor
            key={editing.id}
            service={editing}
            onSaved={() => {
              setEditing(null);
              services.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
    </>
  );
}

function PriceEditor({ service, onSaved, onCancel }: { service: Service; onSaved(): void; onCancel(): void }) {
  const detail = useResource<{ service: Service }>(`/api/admin/services/${encodeURIComponent(service.id)}`);
  const [input, setInput] = useState(String(service.price.inputMicrosPer1M));
  const [output, setOutput] = useState(String(service.price.outputMicrosPer1M));
  const [perRequest, setPerRequest] = useState(String(service.price.requestMicros));
  const { busy, error, setError, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const values = [input, output, perRequest].map((v) => v.trim());
    if (values.some((v) => !/^\d+$/.test(v))) {
      setError('Prices are whole numbers of µUSD (1 USD = 1,000,000 µUSD), zero or more.');
      return;
    }
    void run(async () => {
      await api(`/api/admin/services/${encodeURIComponent(service.id)}`, {
        method: 'PATCH',
        body: { prices: { inputMicrosPer1M: Number(values[0]), outputMicrosPer1M: Number(values[1]), requestMicros: Number(values[2]) } },
      });
      onSaved();
    });
  }

  const history = detail.data?.service.priceHistory ?? [];
  return (
    <form className="form" onSubmit={submit}>
      <p className="muted">
        Current version: <strong>v{service.priceVersion}</strong>. Saving creates v{service.priceVersion + 1}; the next request is charged at it.
      </p>
      <div className="field">
        <label htmlFor="price-in">Input price (µUSD per 1M tokens)</label>
        <input id="price-in" inputMode="numeric" required value={input} onChange={(e) => setInput(e.target.value)} aria-describedby="price-in-hint" />
        <p className="hint" id="price-in-hint">
          {/^\d+$/.test(input.trim()) ? `${usdPrecise(Number(input))} per 1M input tokens` : ' '}
        </p>
      </div>
      <div className="field">
        <label htmlFor="price-out">Output price (µUSD per 1M tokens)</label>
        <input id="price-out" inputMode="numeric" required value={output} onChange={(e) => setOutput(e.target.value)} aria-describedby="price-out-hint" />
        <p className="hint" id="price-out-hint">
          {/^\d+$/.test(output.trim()) ? `${usdPrecise(Number(output))} per 1M output tokens` : ' '}
        </p>
      </div>
      <div className="field">
        <label htmlFor="price-req">Per-request price (µUSD)</label>
        <input id="price-req" inputMode="numeric" required value={perRequest} onChange={(e) => setPerRequest(e.target.value)} />
      </div>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save new price version'}
        </button>
      </div>
      <h3>Price history</h3>
      {detail.status === 'loading' && <Loading />}
      {detail.status === 'error' && <ErrorNote message={detail.message} />}
      {history.length > 0 && (
        <ul className="history">
          {[...history].reverse().map((p) => (
            <li key={p.version}>
              <strong>v{p.version}</strong> · {formatDateTime(p.createdAt)} · {priceText(p)}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
