// @ts-check
/** The fake BTCPay checkout page (GET /i/:id): pay on-chain or over Lightning, in full or not. */
import { escapeHtml, page, postButton } from './html.mjs';

/** @typedef {import('./btcpay.d.mts').BtcpayInvoice} BtcpayInvoice */
/** @typedef {import('./btcpay.d.mts').FakeBtcpayPayment} FakeBtcpayPayment */

/**
 * @param {BtcpayInvoice} invoice
 * @param {ReadonlyArray<FakeBtcpayPayment>} payments
 * @param {string | null} error
 */
export function invoicePage(invoice, payments, error) {
  const id = encodeURIComponent(invoice.id);
  const pay = `/__fake/invoices/${id}/pay`;
  const amount = `${invoice.amount} ${invoice.currency}`;
  const methods = invoice.checkout.paymentMethods ?? [];
  const chain = methods.some((m) => m === 'BTC-CHAIN' || m === 'BTC' || m === 'BTC-OnChain');
  const lightning = methods.some((m) => m.startsWith('BTC-L'));
  /** @type {string[]} */
  const actions = [];
  if (invoice.status === 'New') {
    if (chain) {
      actions.push(
        postButton(
          pay,
          'Pay on-chain',
          { method: 'BTC-CHAIN' },
          { primary: true, note: 'InvoiceReceivedPayment + InvoiceProcessing; Settled after one confirmation.' },
        ),
      );
      actions.push(postButton(pay, 'Pay on-chain and confirm (1 block)', { method: 'BTC-CHAIN', confirm: '1' }, { note: 'Straight to Settled.' }));
    }
    if (lightning) actions.push(postButton(pay, 'Pay with Lightning', { method: 'BTC-LN' }, { primary: !chain, note: 'Settled at once.' }));
    if (chain) {
      actions.push(postButton(pay, 'Pay only half (on-chain)', { method: 'BTC-CHAIN', fraction: '0.5' }, { note: 'Stays New with PaidPartial.' }));
      actions.push(postButton(pay, 'Overpay by 20% (on-chain)', { method: 'BTC-CHAIN', fraction: '1.2' }, { note: 'Processing, then Settled with PaidOver.' }));
    }
    actions.push(postButton(`/__fake/invoices/${id}/expire`, 'Let it expire', {}, { note: 'InvoiceExpired.' }));
  } else if (payments.some((p) => p.payment.status === 'Processing')) {
    actions.push(
      postButton(
        `/__fake/invoices/${id}/confirm`,
        'Mine a block (confirm the payment)',
        {},
        { primary: true, note: 'InvoicePaymentSettled + InvoiceSettled.' },
      ),
    );
  }
  if (invoice.status === 'Expired') {
    actions.push(postButton(`/__fake/invoices/${id}/pay-late`, 'Pay after expiry', { method: 'BTC-CHAIN' }, { note: 'Stays Expired with PaidLate.' }));
  }
  const back = invoice.checkout.redirectURL ? `<a class="button" href="${escapeHtml(redirectTarget(invoice))}">Return to the merchant</a>` : '';
  const list = payments.map((p) => `<dt>${escapeHtml(p.paymentMethodId)}</dt><dd>${escapeHtml(`${p.payment.value} BTC, ${p.payment.status}`)}</dd>`).join('');
  const body = `<h1>Fake BTCPay <span class="badge">regtest</span></h1>
<div class="muted">Invoice ${escapeHtml(invoice.id)}</div>
<div class="amount">${escapeHtml(amount)}</div>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<p>Status: <strong>${escapeHtml(invoice.status)}</strong>${invoice.additionalStatus === 'None' ? '' : ` (${escapeHtml(invoice.additionalStatus)})`}, paid ${escapeHtml(invoice.paidAmount)} ${escapeHtml(invoice.currency)}</p>
${actions.join('\n')}
${back}
<dl>${list}</dl>`;
  return page(`Fake BTCPay — ${amount}`, body);
}

/** A page for an unknown invoice id. */
export function missingInvoicePage() {
  return page('Fake BTCPay', '<h1>Fake BTCPay <span class="badge">regtest</span></h1><p>No such invoice.</p>');
}

/**
 * The invoice's redirectURL with BTCPay's {OrderId} and {InvoiceId} placeholders filled in.
 * @param {BtcpayInvoice} invoice
 */
export function redirectTarget(invoice) {
  const orderId = invoice.metadata.orderId;
  return String(invoice.checkout.redirectURL)
    .replaceAll('{OrderId}', encodeURIComponent(typeof orderId === 'string' ? orderId : ''))
    .replaceAll('{InvoiceId}', encodeURIComponent(invoice.id));
}
