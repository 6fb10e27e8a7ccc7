/**
 * @module pages/billing/Receipt
 * A paid top-up's receipt in a dialog, printable.
 */
import type { Receipt } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { Dialog } from '../../components/Dialog';
import { ErrorNote, Loading } from '../../components/states';
import { usd } from '../../lib/money';
import { formatDateTime } from '../../lib/time';

/** The receipt of top-up `topupId` (null: closed). */
export function ReceiptDialog({ topupId, onClose }: { topupId: string | null; onClose(): void }) {
  const receipt = useResource<{ receipt: Receipt }>(topupId ? `/api/account/topups/${encodeURIComponent(topupId)}/receipt` : null);
  const r = receipt.status === 'ready' ? receipt.data.receipt : null;
  return (
    <Dialog open={topupId !== null} title="Receipt" onClose={onClose}>
      {receipt.status === 'loading' && <Loading what="Loading the receipt…" />}
      {receipt.status === 'error' && <ErrorNote message={receipt.message} />}
      {r && (
        <dl className="receipt">
          <dt>Receipt number</dt>
          <dd>{r.number}</dd>
          <dt>Issued to</dt>
          <dd>{r.issuedTo}</dd>
          <dt>Paid</dt>
          <dd>{formatDateTime(r.paidAt)}</dd>
          <dt>Method</dt>
          <dd>
            {r.method}
            {r.kind === 'auto_recharge' ? ' (auto-recharge)' : ''}
          </dd>
          <dt>Amount</dt>
          <dd>${r.amountUsd}</dd>
          <dt>Credit added</dt>
          <dd>{usd(r.creditedMicros)}</dd>
          {r.refundedUsd !== '0.00' && (
            <>
              <dt>Refunded</dt>
              <dd>${r.refundedUsd}</dd>
            </>
          )}
          <dt>Payment reference</dt>
          <dd>
            <code>{r.providerReference ?? '—'}</code>
          </dd>
          <dt>Status</dt>
          <dd>{r.status}</dd>
        </dl>
      )}
      <div className="actions">
        {r && (
          <button type="button" className="secondary" onClick={() => window.print()}>
            Print
          </button>
        )}
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
