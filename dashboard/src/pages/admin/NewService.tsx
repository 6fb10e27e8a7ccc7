/**
 * @module pages/admin/NewService
 * Adds a service (a model name routed to an OpenAI-compatible origin) with its first prices.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAction } from '../../api/use-action';
import { ErrorNote } from '../../components/states';

const ENDPOINTS = ['chat', 'completions', 'embeddings'] as const;

function wholeOrNull(text: string): number | null | 'bad' {
  const t = text.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) && Number(t) > 0 ? Number(t) : 'bad';
}

/** The "Add service" form; `onCreated` runs after the API accepted it. */
export function NewServiceForm({ onCreated, onCancel }: { onCreated(): void; onCancel(): void }) {
  const [v, setV] = useState({
    name: '',
    originBaseUrl: '',
    originFlavour: 'openai',
    originModel: '',
    originCredentialSecret: '',
    maxOutputTokens: '4096',
    input: '',
    output: '',
    perRequest: '0',
    defaultRequestsPerMinute: '',
    defaultTokensPerMinute: '',
    defaultMaxConcurrent: '',
  });
  const [endpoints, setEndpoints] = useState<string[]>(['chat', 'completions']);
  const [forwardTags, setForwardTags] = useState(false);
  const { busy, error, setError, run } = useAction();
  const set = (field: keyof typeof v) => (e: { target: { value: string } }) => setV((old) => ({ ...old, [field]: e.target.value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const prices = [v.input, v.output, v.perRequest].map((p) => p.trim());
    if (prices.some((p) => !/^\d+$/.test(p))) return setError('Prices are whole numbers of µUSD, zero or more.');
    const maxOutputTokens = wholeOrNull(v.maxOutputTokens);
    if (typeof maxOutputTokens !== 'number') return setError('Max output tokens: a whole number above zero.');
    const defaults = [v.defaultRequestsPerMinute, v.defaultTokensPerMinute, v.defaultMaxConcurrent].map(wholeOrNull);
    if (defaults.includes('bad')) return setError('Default limits: whole numbers above zero, or empty for none.');
    if (endpoints.length === 0) return setError('Endpoints: pick at least one.');
    void run(async () => {
      await api('/api/admin/services', {
        method: 'POST',
        body: {
          name: v.name.trim(),
          endpoints,
          originBaseUrl: v.originBaseUrl.trim(),
          originFlavour: v.originFlavour.trim() || 'openai',
          originModel: v.originModel.trim() || null,
          originCredentialSecret: v.originCredentialSecret.trim() || null,
          maxOutputTokens,
          forwardTags,
          defaultRequestsPerMinute: defaults[0],
          defaultTokensPerMinute: defaults[1],
          defaultMaxConcurrent: defaults[2],
          prices: { inputMicrosPer1M: Number(prices[0]), outputMicrosPer1M: Number(prices[1]), requestMicros: Number(prices[2]) },
        },
      });
      onCreated();
    });
  }

  const field = (name: keyof typeof v, label: string, props: Record<string, unknown> = {}, hint?: string) => (
    <div className="field">
      <label htmlFor={`svc-${name}`}>{label}</label>
      <input id={`svc-${name}`} value={v[name]} onChange={set(name)} aria-describedby={hint ? `svc-${name}-hint` : undefined} {...props} />
      {hint && (
        <p className="hint" id={`svc-${name}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );

  return (
    <form className="form" onSubmit={submit}>
      {field('name', 'Model name', { required: true, autoFocus: true, placeholder: 'llama-3.1-8b' }, 'The name clients send as "model".')}
      <fieldset>
        <legend>Endpoints</legend>
        <div className="field-row">
          {ENDPOINTS.map((e) => (
            <label key={e} className="check">
              <input
                type="checkbox"
                checked={endpoints.includes(e)}
                onChange={(ev) => setEndpoints((old) => (ev.target.checked ? [...old, e] : old.filter((x) => x !== e)))}
              />{' '}
              {e}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Origin</legend>
        {field('originBaseUrl', 'Origin base URL', { required: true, type: 'url', placeholder: 'http://gpu-1:8000/v1' })}
        <div className="field-row">
          {field('originFlavour', 'Origin flavour', {}, '"openai" for any OpenAI-compatible server.')}
          {field('originModel', 'Origin model', { placeholder: 'same as the model name' })}
        </div>
        {field(
          'originCredentialSecret',
          'Origin credential secret',
          { placeholder: 'none' },
          'Name of the worker secret with the origin bearer token, e.g. ORIGIN_GPU1.',
        )}
        <label className="check">
          <input type="checkbox" checked={forwardTags} onChange={(e) => setForwardTags(e.target.checked)} /> Send the request's feature tags to the origin (an
          x-gateway-tags header; off, they stay with the gateway)
        </label>
      </fieldset>
      <fieldset>
        <legend>Prices and limits</legend>
        <div className="field-row">
          {field('input', 'Input price (µUSD per 1M tokens)', { required: true, inputMode: 'numeric' })}
          {field('output', 'Output price (µUSD per 1M tokens)', { required: true, inputMode: 'numeric' })}
          {field('perRequest', 'Per-request price (µUSD)', { inputMode: 'numeric' })}
        </div>
        <div className="field-row">
          {field('maxOutputTokens', 'Max output tokens', { required: true, inputMode: 'numeric' })}
          {field('defaultRequestsPerMinute', 'Default requests per minute', { inputMode: 'numeric', placeholder: 'none' })}
          {field('defaultTokensPerMinute', 'Default tokens per minute', { inputMode: 'numeric', placeholder: 'none' })}
          {field('defaultMaxConcurrent', 'Default max concurrent', { inputMode: 'numeric', placeholder: 'none' })}
        </div>
      </fieldset>
      {error && <ErrorNote message={error} />}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add service'}
        </button>
      </div>
    </form>
  );
}
