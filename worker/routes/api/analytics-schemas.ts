/**
 * @module routes/api/analytics-schemas
 * The response shapes of the analytics routes (routes/api/analytics.ts), as the OpenAPI document
 * publishes them.
 */
import { z } from './contract';

export const TOP_TAGS = 10;
export const TOP_END_USERS = 50;

const int = z.number().int();
const Window = {
  from: int.describe('Epoch ms.'),
  to: int.describe('Epoch ms, exclusive.'),
  tz: z.string(),
  bucket: z.enum(['hour', 'day']).describe('Hours for ranges of 48 h or less, else local days.'),
};
const CostSeries = z.array(z.object({ t: int.describe('Bucket start, epoch ms.'), costMicros: int }));
const Spend = z.object({ requests: int, costMicros: int });
const Ranked = { requests: int, inputTokens: int, outputTokens: int, costMicros: int };
const MonthOverMonth = z
  .object({
    thisMonth: Spend.describe('From the first of the local month to now.'),
    lastMonthToDate: Spend.describe('The same stretch of last month: its first day to the same elapsed time.'),
    lastMonth: Spend.describe('All of last month.'),
    changePercent: z.number().nullable().describe('thisMonth over lastMonthToDate, in percent (null when last month had no cost).'),
  })
  .describe('Month-over-month trend in tz.');

export const AccountAnalytics = z.object({
  ...Window,
  totals: z.object({ requests: int, inputTokens: int, outputTokens: int, costMicros: int }),
  series: z.array(z.object({ t: int, requests: int, inputTokens: int, outputTokens: int, costMicros: int })),
  byKey: z.array(z.object({ keyId: z.string(), name: z.string().nullable(), requests: int, costMicros: int, series: CostSeries })),
  byModel: z.array(
    z.object({
      model: z.string(),
      requests: int,
      costMicros: int,
      costPerRequestMicros: int.describe('costMicros / requests, rounded up.'),
      series: CostSeries,
    }),
  ),
  byProject: z.array(z.object({ projectId: z.string(), name: z.string().nullable(), requests: int, costMicros: int, series: CostSeries })),
  byMember: z.array(
    z.object({
      memberId: z.string().nullable().describe('Who created the keys; null for keys made with a management key or the admin token.'),
      email: z.string().nullable(),
      requests: int,
      costMicros: int,
    }),
  ),
  byTag: z
    .array(z.object({ tag: z.string().describe('name=value'), name: z.string(), value: z.string(), ...Ranked }))
    .describe(`The top ${TOP_TAGS} feature tags by cost; a request counts under each of its tags.`),
  byEndUser: z
    .array(z.object({ endUser: z.string(), ...Ranked }))
    .describe(`The top ${TOP_END_USERS} end users by cost (empty when a tag is filtered: end users are not rolled up by tag).`),
  today: Spend.describe('Since local midnight in tz.'),
  month: Spend.describe('Since the first of the local month in tz.'),
  monthOverMonth: MonthOverMonth,
  resolution: z
    .enum(['day', 'day+15m', '15m'])
    .describe(
      "Which rollups answered: the organisation's daily ones (a view in whole local days of its zone), those days corrected at each bucket's ends by 15-minute ones (local days of another zone, or a range that does not start at midnight), or the 15-minute ones alone.",
    ),
});

export const AdminAnalytics = z.object({
  ...Window,
  totals: z.object({
    requests: int,
    inputTokens: int,
    outputTokens: int,
    revenueMicros: int,
    errors: int,
    errorRate: z.number().describe('errors / requests, 0 to 1.'),
  }),
  series: z.array(z.object({ t: int, requests: int, tokens: int, revenueMicros: int, errors: int })),
  byModel: z.array(
    z.object({
      model: z.string(),
      requests: int,
      inputTokens: int,
      outputTokens: int,
      revenueMicros: int,
      errors: int,
      errorRate: z.number(),
      costPerRequestMicros: int.describe('revenueMicros / requests, rounded up.'),
      latencyP50Ms: int.nullable().describe('From the latency histogram: the upper edge of the bucket holding the 50th percentile.'),
      latencyP95Ms: int.nullable(),
    }),
  ),
  monthOverMonth: MonthOverMonth,
  topAccounts: z.array(z.object({ accountId: z.string(), name: z.string().nullable(), requests: int, revenueMicros: int })),
});
