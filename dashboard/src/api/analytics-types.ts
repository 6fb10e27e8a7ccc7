/**
 * @module api/analytics-types
 * Usage events, the analytics views and the usage archives as /api answers them
 * (docs/analytics.md). Money in integer µUSD, bucket times in epoch ms.
 */

export interface UsageRow {
  id: string;
  keyId: string;
  projectId?: string | null;
  serviceId: string;
  model: string;
  endpoint: string;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  priceVersion: number;
  latencyMs: number;
  ttftMs: number | null;
  status: string;
  estimated: boolean;
  createdAt: string;
  /** The member who created the key; null when it was made with a management key. */
  memberId: string | null;
  /** OpenAI's `user` field or the x-gateway-user header. */
  endUser: string | null;
  /** Feature tags by name (x-gateway-tags and OpenAI's metadata); null for none. */
  tags: Record<string, string> | null;
}

export interface UsagePage {
  data: UsageRow[];
  totals: { requests: number; inputTokens: number; outputTokens: number; costMicros: number };
  nextCursor: string | null;
}

export interface CostSeries {
  series: Array<{ t: number; costMicros: number }>;
}

export interface Spend {
  requests: number;
  costMicros: number;
}

/** This month to now, the same stretch of last month, all of last month, in the caller's zone. */
export interface MonthOverMonth {
  thisMonth: Spend;
  lastMonthToDate: Spend;
  lastMonth: Spend;
  /** thisMonth over lastMonthToDate in percent, one decimal; null when last month had no cost. */
  changePercent: number | null;
}

/** Requests, tokens and cost of one feature tag or end user (a ranked view). */
export interface RankedSpend extends Spend {
  inputTokens: number;
  outputTokens: number;
}

export interface TagSpend extends RankedSpend {
  /** "name=value". */
  tag: string;
  name: string;
  value: string;
}

export interface EndUserSpend extends RankedSpend {
  endUser: string;
}

export interface ModelSpend extends CostSeries, Spend {
  model: string;
  /** costMicros / requests, rounded up. */
  costPerRequestMicros: number;
}

export interface ProjectSpend extends CostSeries, Spend {
  projectId: string;
  name: string | null;
}

export interface MemberSpend extends Spend {
  /** Null: keys made with a management key or the admin token. */
  memberId: string | null;
  email: string | null;
}

export interface AccountAnalytics {
  from: number;
  to: number;
  tz: string;
  bucket: 'day' | 'hour';
  totals: { requests: number; inputTokens: number; outputTokens: number; costMicros: number };
  series: Array<{ t: number; requests: number; inputTokens: number; outputTokens: number; costMicros: number }>;
  byKey: Array<CostSeries & Spend & { keyId: string; name: string | null }>;
  byModel: ModelSpend[];
  byProject: ProjectSpend[];
  byMember: MemberSpend[];
  /** The top 10 feature tags by cost; a request counts under each of its tags. */
  byTag: TagSpend[];
  /** The top 50 end users by cost; empty under a tag filter (end users are not rolled up by tag). */
  byEndUser: EndUserSpend[];
  today: Spend;
  month: Spend;
  monthOverMonth: MonthOverMonth;
  /** Which rollups answered: the organisation's daily ones, or the 15-minute ones. */
  resolution: 'day' | 'day+15m' | '15m';
}

export interface AdminAnalytics {
  from: number;
  to: number;
  tz: string;
  bucket: 'day' | 'hour';
  totals: { requests: number; inputTokens: number; outputTokens: number; revenueMicros: number; errors: number; errorRate: number };
  series: Array<{ t: number; requests: number; tokens: number; revenueMicros: number; errors: number }>;
  byModel: Array<{
    model: string;
    requests: number;
    inputTokens: number;
    outputTokens: number;
    revenueMicros: number;
    errors: number;
    errorRate: number;
    /** revenueMicros / requests, rounded up. */
    costPerRequestMicros: number;
    /** Upper edges of the latency histogram's buckets holding the percentile (docs/analytics.md). */
    latencyP50Ms: number | null;
    latencyP95Ms: number | null;
  }>;
  /** Revenue (costMicros) and requests of every organisation. */
  monthOverMonth: MonthOverMonth;
  topAccounts: Array<{ accountId: string; name: string | null; requests: number; revenueMicros: number }>;
}

/** One archived file: a page of one UTC day's raw usage events, as gzipped NDJSON in R2. */
export interface UsageArchive {
  /** Pass to /api/account/usage-archives/download?key=. */
  key: string;
  /** The UTC day of its events, YYYY-MM-DD. */
  day: string;
  events: number;
  /** Size of the gzipped file. */
  bytes: number;
  costMicros: number;
  firstAt: string;
  lastAt: string;
  archivedAt: string;
}

export interface UsageArchivePage {
  /** Days raw events stay in D1 before they are archived. */
  retentionDays: number;
  data: UsageArchive[];
  /** Pass as cursor= for the next page; null on the last. */
  nextCursor: string | null;
}
