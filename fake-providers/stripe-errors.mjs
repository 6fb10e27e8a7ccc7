// @ts-check
/** Stripe's error shape `{error: {type, code?, param?, message, decline_code?}}` for the fake. */

/** @typedef {import('./stripe.d.mts').StripeErrorBody} StripeErrorBody */

/** A Stripe API error, rendered as `{error: {...}}` with its status. */
export class StripeError extends Error {
  /**
   * @param {number} status
   * @param {StripeErrorBody} error
   */
  constructor(status, error) {
    super(error.message);
    this.name = 'StripeError';
    this.status = status;
    this.error = error;
  }
}

/**
 * A 400 (or `status`) invalid_request_error.
 * @param {string} message
 * @param {{ code?: string, param?: string, status?: number }} [details]
 */
export function invalidRequest(message, { code, param, status = 400 } = {}) {
  return new StripeError(status, {
    type: 'invalid_request_error',
    ...(code ? { code } : {}),
    ...(param ? { param } : {}),
    message,
  });
}

/**
 * Stripe's "Missing required param" error.
 * @param {string} param
 */
export function missingParam(param) {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}
