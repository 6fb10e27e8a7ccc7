/**
 * @module services/analytics
 * One Analytics Engine data point per settled request, behind a small interface so a missing
 * binding (or a test) swaps in another sink. AE is sampled and late: dashboards only, never money.
 */
import type { UsageEvent } from '../durable-objects/account/types';

export interface UsageSink {
  write(event: UsageEvent): void;
}

/** Writes to an Analytics Engine dataset, indexed by account so per-tenant totals stay accurate. */
export function analyticsEngineSink(dataset: AnalyticsEngineDataset | undefined): UsageSink {
  if (!dataset) return { write() {} };
  return {
    write(e) {
      dataset.writeDataPoint({
        indexes: [e.accountId],
        blobs: [e.keyId, e.serviceId, e.model, e.endpoint, e.status, e.estimated ? 'estimated' : 'reported', e.id],
        doubles: [e.inputTokens, e.outputTokens, e.costMicros, e.latencyMs, e.ttftMs ?? -1, e.priceVersion],
      });
    },
  };
}
