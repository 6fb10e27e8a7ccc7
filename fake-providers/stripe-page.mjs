// @ts-check
/** The fake Stripe Checkout page (GET /checkout/:id): pay, pay with a test card, or cancel. */
import { escapeHtml, page, postButton } from './html.mjs';
import { centsToDecimal } from './money.mjs';

/** @typedef {import('./stripe.d.mts').StripeCheckoutSession} StripeCheckoutSession */
/** @typedef {import('./stripe.d.mts').StripePaymentIntent} StripePaymentIntent */

/**
 * An amount in a currency's minor units, e.g. "$25.00" or "25.00 EUR".
 * @param {number} cents
 * @param {string} currency
 */
export function formatMoney(cents, currency) {
  return currency === 'usd' ? `$${centsToDecimal(cents)}` : `${centsToDecimal(cents)} ${currency.toUpperCase()}`;
}

/**
 * @param {object} view
 * @param {StripeCheckoutSession} view.session
 * @param {StripePaymentIntent | undefined} view.paymentIntent
 * @param {string} view.product
 * @param {string | null} view.error a message to show (e.g. after a declined card)
 */
export function checkoutPage({ session, paymentIntent, product, error }) {
  const base = `/checkout/${encodeURIComponent(session.id)}`;
  const amount = formatMoney(session.amount_total, session.currency);
  const head = `<h1>Fake Stripe Checkout <span class="badge">test mode</span></h1>
<div class="muted">${escapeHtml(product)}</div>
<div class="amount">${escapeHtml(amount)}</div>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}`;
  const details = `<dl>
<dt>session</dt><dd>${escapeHtml(session.id)}</dd>
${session.customer ? `<dt>customer</dt><dd>${escapeHtml(session.customer)}</dd>` : ''}
${session.customer_email ? `<dt>email</dt><dd>${escapeHtml(session.customer_email)}</dd>` : ''}
${session.client_reference_id ? `<dt>reference</dt><dd>${escapeHtml(session.client_reference_id)}</dd>` : ''}
<dt>status</dt><dd>${escapeHtml(`${session.status} / ${session.payment_status}`)}</dd>
</dl>`;
  const back = (/** @type {string | null} */ url, /** @type {string} */ label) =>
    url ? `<a class="button" href="${escapeHtml(url.replaceAll('{CHECKOUT_SESSION_ID}', session.id))}">${escapeHtml(label)}</a>` : '';

  let body;
  if (session.status === 'open') {
    body = [
      postButton(`${base}/pay`, `Pay ${amount}`, { card: 'ok' }, { primary: true, note: 'Test card 4242 4242 4242 4242 (pm_card_visa).' }),
      postButton(
        `${base}/pay`,
        'Pay with a card that needs authentication later',
        { card: 'authentication_required' },
        {
          note: 'Succeeds now; saves pm_card_authenticationRequired, so later off-session charges (auto-recharge) fail with authentication_required.',
        },
      ),
      postButton(
        `${base}/pay`,
        'Pay with a card that is declined later',
        { card: 'decline_later' },
        {
          note: 'Succeeds now; saves pm_card_chargeCustomerFail, so later off-session charges are declined (card_declined).',
        },
      ),
      postButton(
        `${base}/pay`,
        'Pay by bank debit (settles later)',
        { async: '1' },
        {
          note: 'checkout.session.completed arrives unpaid; settle or fail it from this page afterwards.',
        },
      ),
      postButton(
        `${base}/pay`,
        'Try a card that is declined',
        { card: 'declined' },
        { note: 'pm_card_chargeDeclined: the payment fails, the session stays open.' },
      ),
      postButton(`/__fake/sessions/${encodeURIComponent(session.id)}/expire`, 'Expire this session', {}, { note: 'Sends checkout.session.expired.' }),
      back(session.cancel_url, 'Cancel and return'),
    ].join('\n');
  } else if (session.status === 'complete' && paymentIntent?.status === 'processing') {
    body = [
      '<p>The bank debit is pending.</p>',
      postButton(
        `/__fake/sessions/${encodeURIComponent(session.id)}/async-succeed`,
        'Settle the bank debit',
        {},
        { primary: true, note: 'Sends checkout.session.async_payment_succeeded.' },
      ),
      postButton(
        `/__fake/sessions/${encodeURIComponent(session.id)}/async-fail`,
        'Fail the bank debit',
        {},
        { note: 'Sends checkout.session.async_payment_failed.' },
      ),
      back(session.success_url, 'Return to the merchant'),
    ].join('\n');
  } else {
    const text =
      session.status === 'expired' ? 'This checkout session has expired.' : session.payment_status === 'paid' ? 'Paid. Thank you!' : 'The payment failed.';
    body = `<p>${escapeHtml(text)}</p>\n${back(session.status === 'expired' ? session.cancel_url : session.success_url, 'Return to the merchant')}`;
  }
  return page(`Fake Stripe Checkout — ${amount}`, `${head}\n${body}\n${details}`);
}

/** A page for an unknown session id. */
export function missingSessionPage() {
  return page('Fake Stripe Checkout', '<h1>Fake Stripe Checkout <span class="badge">test mode</span></h1><p>No such checkout session.</p>');
}
