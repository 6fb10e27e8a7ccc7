// @ts-check
/**
 * One ordered lane for a fake provider's webhook deliveries. Real providers deliver a webhook's
 * events one after another (BTCPay queues per webhook; Stripe mostly in order), so a slow or
 * retrying receiver delays later events instead of seeing them overtake earlier ones.
 */

/**
 * @returns {{ run<T>(job: () => Promise<T>): Promise<T>, idle(): Promise<void> }}
 *   run: queue a job after every earlier one; idle: resolves once nothing is queued or running.
 */
export function createDeliveryQueue() {
  /** @type {Promise<unknown>} */
  let tail = Promise.resolve();
  return {
    run(job) {
      const result = tail.then(job);
      tail = result.catch(() => undefined); // one failed job must not stall the lane
      return result;
    },
    async idle() {
      /** @type {Promise<unknown>} */
      let seen;
      do {
        seen = tail;
        await seen;
      } while (seen !== tail); // jobs queued while we waited
    },
  };
}
