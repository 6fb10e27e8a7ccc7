// @ts-check
/**
 * Turns raw runs into results: medians over runs for every target, mode and concurrency; the
 * gateway's ratios to the pass-through worker and to Portkey computed run by run (each run
 * measures all targets back to back, so both sides of a ratio saw the same machine state) and
 * then the median taken; the issue's targets checked; a markdown rendering.
 */
import { median } from './stats.mjs';

/** The issue's targets, measured at this concurrency. */
export const GOAL_CONCURRENCY = 16;
const MIB = 1024;

/**
 * @typedef {Record<string, any>} Run  one driver result (see autocannon-run.mjs, ttfb.mjs, driver.mjs)
 * @typedef {{ load: Run[], streams: Run[] }} TargetRuns
 * @typedef {{ mode: 'json' | 'stream', concurrency: number, byTarget: Record<string, TargetRuns> }} Cell
 * @typedef {{ target: string, concurrency: number, runs: Run[] }} BusyCell
 * @typedef {{ kind?: 'json' | 'stream', concurrency: number, byTarget: Record<string, Run[]> }} FloorCell  floor variants, forward-only first
 */

/** CPU µs per answered request in the server's process tree. @param {Run} run */
const cpuPerRequest = (run) => {
  const answered = run.ok + run.non2xx;
  return answered > 0 ? (run.serverCpuMs * 1000) / answered : null;
};

/**
 * The median over runs of f(run i of a, run i of b) — a paired statistic.
 * @param {Run[]} a @param {Run[]} b @param {(x: Run, y: Run) => number | null} f
 */
function pairedMedian(a, b, f) {
  const values = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) values.push(f(a[i], b[i]));
  return median(values);
}

const ratio = (/** @type {number | null} */ x, /** @type {number | null} */ y) => (x === null || y === null || y === 0 ? null : x / y);
const diff = (/** @type {number | null} */ x, /** @type {number | null} */ y) => (x === null || y === null ? null : x - y);

/**
 * Medians for one target in one cell.
 * @param {TargetRuns} runs
 * @param {TargetRuns | undefined} origin
 */
function summariseTarget(runs, origin) {
  const { load, streams } = runs;
  return {
    rps: median(load.map((r) => r.rps)),
    p50Ms: median(load.map((r) => r.p50)),
    p99Ms: median(load.map((r) => r.p99)),
    ttfbP50Ms: streams.length ? median(streams.map((r) => r.ttfbP50)) : null,
    ttfbP99Ms: streams.length ? median(streams.map((r) => r.ttfbP99)) : null,
    addedP50Ms: origin ? pairedMedian(load, origin.load, (x, y) => diff(x.p50, y.p50)) : null,
    addedP99Ms: origin ? pairedMedian(load, origin.load, (x, y) => diff(x.p99, y.p99)) : null,
    addedTtfbP50Ms: origin && streams.length ? pairedMedian(streams, origin.streams, (x, y) => diff(x.ttfbP50, y.ttfbP50)) : null,
    cpuUsPerRequest: median(load.map(cpuPerRequest)),
    loadGeneratorCpu: median(load.map((r) => r.driverCpuMs / r.elapsedMs)),
    answered: load.reduce((n, r) => n + r.ok, 0),
    failed: [...load, ...streams].reduce((n, r) => n + r.non2xx + r.errors + r.mismatches + (r.timeouts ?? 0), 0),
  };
}

/**
 * @param {{ cells: Cell[], busy: BusyCell[], floor?: FloorCell, streamFloor?: FloorCell, bundle: { bytes: number, gzipBytes: number, wranglerGzipKiB: number | null }, billing?: Record<string, number> }} raw
 */
export function summarise({ cells, busy, floor, streamFloor, bundle, billing }) {
  const measurements = cells.flatMap((cell) =>
    Object.entries(cell.byTarget).map(([target, runs]) => ({
      target,
      mode: cell.mode,
      concurrency: cell.concurrency,
      runs: runs.load.length,
      median: summariseTarget(runs, target === 'origin' ? undefined : cell.byTarget.origin),
    })),
  );
  const ratios = cells.map((cell) => {
    const gw = cell.byTarget.gateway;
    const pt = cell.byTarget.passthrough;
    const pk = cell.byTarget.portkey;
    return {
      mode: cell.mode,
      concurrency: cell.concurrency,
      gatewayOverPassthroughRps: gw && pt ? pairedMedian(gw.load, pt.load, (x, y) => ratio(x.rps, y.rps)) : null,
      gatewayOverPortkeyRps: gw && pk ? pairedMedian(gw.load, pk.load, (x, y) => ratio(x.rps, y.rps)) : null,
      gatewayOverPassthroughTtfbP50: gw && pt && gw.streams.length ? pairedMedian(gw.streams, pt.streams, (x, y) => ratio(x.ttfbP50, y.ttfbP50)) : null,
      gatewayOverPortkeyTtfbP50: gw && pk && gw.streams.length ? pairedMedian(gw.streams, pk.streams, (x, y) => ratio(x.ttfbP50, y.ttfbP50)) : null,
    };
  });
  const at = (/** @type {string} */ mode) => ratios.find((r) => r.mode === mode && r.concurrency === GOAL_CONCURRENCY);
  const gzipKiB = bundle.wranglerGzipKiB ?? bundle.gzipBytes / 1024;
  const goal = (
    /** @type {string} */ name,
    /** @type {number | null | undefined} */ measured,
    /** @type {number} */ bound,
    /** @type {'min' | 'max'} */ kind,
    unit = 'x',
  ) => ({
    name,
    unit,
    measured: measured ?? null,
    bound,
    kind,
    met: measured === null || measured === undefined ? null : kind === 'min' ? measured >= bound : measured <= bound,
  });
  const cell = (/** @type {string} */ mode, /** @type {number} */ c, /** @type {string} */ target) =>
    measurements.find((m) => m.mode === mode && m.concurrency === c && m.target === target)?.median;
  const floorRows = floor ? summariseFloor(floor) : [];
  const contractFloor = floorRows.find((f) => f.target === 'floor-mem');
  const gatewayCpu = cell('json', GOAL_CONCURRENCY, 'gateway')?.cpuUsPerRequest ?? null;
  const addedGateway = cell('json', 1, 'gateway')?.addedP50Ms ?? null;
  const addedPortkey = cell('json', 1, 'portkey')?.addedP50Ms ?? null;
  const busyAccount = summariseBusy(busy);
  const accountAlone = busyAccount.filter((b) => b.target === 'account-object').map((b) => b.admittedRps ?? 0);
  const goals = [
    goal(`gateway / Portkey req/s (c=${GOAL_CONCURRENCY}, JSON)`, at('json')?.gatewayOverPortkeyRps, 1.5, 'min'),
    goal(`gateway / Portkey req/s (c=${GOAL_CONCURRENCY}, streams)`, at('stream')?.gatewayOverPortkeyRps, 1.5, 'min'),
    goal(
      `gateway CPU / the contract's floor CPU per request (c=${GOAL_CONCURRENCY}, JSON)`,
      ratio(gatewayCpu, contractFloor?.cpuUsPerRequest ?? null),
      1.3,
      'max',
    ),
    goal('added p50 at c=1, gateway / Portkey (JSON)', ratio(addedGateway, addedPortkey), 1, 'max'),
    goal(`stream first byte p50, gateway / pass-through (c=${GOAL_CONCURRENCY})`, at('stream')?.gatewayOverPassthroughTtfbP50, 1.5, 'max'),
    goal(
      'one account, admitted and settled req/s (account object alone, best concurrency)',
      accountAlone.length ? Math.max(...accountAlone) : null,
      2000,
      'min',
      'rps',
    ),
    goal('bundle, gzipped (KiB)', gzipKiB, MIB, 'max', 'KiB'),
  ];
  if (billing) {
    // Every settle is one usage row with its cost, and the debit is their sum; nothing left in flight.
    const exact =
      billing.debitedMicros === billing.usageCostMicros &&
      billing.usageRows === billing.distinctRequests &&
      billing.usageRows >= billing.answered &&
      billing.openReservations === 0 &&
      billing.inFlightMicros === 0 &&
      billing.pendingOutbox === 0;
    goals.push({
      name: "books: every answered request settled once (debit = the usage rows' costs, one row per request), nothing held in flight",
      unit: 'bool',
      measured: exact ? 1 : 0,
      bound: 1,
      kind: 'min',
      met: exact,
    });
  }
  return { measurements, ratios, goals, busyAccount, floor: floorRows, streamFloor: streamFloor ? summariseFloor(streamFloor) : [] };
}

/** Medians per busy-account target and concurrency. @param {BusyCell[]} busy */
function summariseBusy(busy) {
  return busy.map((cell) => ({
    target: cell.target,
    concurrency: cell.concurrency,
    runs: cell.runs.length,
    admittedRps: median(cell.runs.map((r) => r.rps)),
    p50Ms: median(cell.runs.map((r) => r.p50)),
    p99Ms: median(cell.runs.map((r) => r.p99)),
    refused: cell.runs.reduce((n, r) => n + r.non2xx, 0),
    errors: cell.runs.reduce((n, r) => n + r.errors + r.mismatches + (r.timeouts ?? 0), 0),
    cpuUsPerRequest: median(cell.runs.map(cpuPerRequest)),
  }));
}

/**
 * Each floor variant's medians and its throughput over the forward-only variant's, paired by round.
 * @param {FloorCell} floor
 */
function summariseFloor(floor) {
  const [baseline] = Object.keys(floor.byTarget);
  return Object.entries(floor.byTarget).map(([target, runs]) => ({
    target,
    concurrency: floor.concurrency,
    runs: runs.length,
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50)),
    cpuUsPerRequest: median(runs.map(cpuPerRequest)),
    overForwardOnlyRps: pairedMedian(runs, floor.byTarget[baseline], (x, y) => ratio(x.rps, y.rps)),
  }));
}

const fmt = {
  int: (/** @type {number | null} */ v) => (v === null ? '–' : Math.round(v).toLocaleString('en-US')),
  ms: (/** @type {number | null} */ v) => (v === null ? '–' : v.toFixed(2)),
  signedMs: (/** @type {number | null} */ v) => (v === null ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`),
  x: (/** @type {number | null} */ v) => (v === null ? '–' : `${v.toFixed(2)}×`),
  pct: (/** @type {number | null} */ v) => (v === null ? '–' : `${Math.round(v * 100)}%`),
};

/** A goal's number in its unit. @param {{ unit?: string }} g @param {number | null} v */
function goalValue(g, v) {
  if (g.unit === 'bool') return v ? 'yes' : 'no';
  return g.unit === 'KiB' || g.unit === 'rps' ? fmt.int(v) : fmt.x(v);
}

/**
 * The results as markdown (what the README quotes).
 * @param {Record<string, any>} results
 */
export function toMarkdown(results) {
  const { machine, settings, bundle, labels } = results;
  const lines = [
    `Ran ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, workerd ${machine.workerd} (Miniflare ${machine.miniflare}), Portkey ${results.portkey.version}${results.portkey.shim ? ' (fetch shim)' : ''}. ` +
      `Load average ${machine.loadAverageBefore?.toFixed(2)} before, ${machine.loadAverageAfter?.toFixed(2)} after. Load generator, origin and servers share the machine. Medians of ${settings.runs} run(s) of ${settings.durationS} s after ${settings.warmupS} s of warm-up; ${settings.chunks} chunks per stream.`,
    '',
    '| goal | measured | target | met |',
    '|---|---:|---:|:---:|',
    ...results.goals.map(
      (/** @type {any} */ g) =>
        `| ${g.name} | ${goalValue(g, g.measured)} | ${g.unit === 'bool' ? 'yes' : `${g.kind === 'min' ? '≥' : '≤'} ${goalValue(g, g.bound)}`} | ${g.met === null ? 'not measured' : g.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '| mode | conc. | target | req/s | p50 ms | p99 ms | TTFB p50 | TTFB p99 | added p50 | CPU µs/req | load-gen CPU |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of results.measurements) {
    const s = m.median;
    lines.push(
      `| ${m.mode} | ${m.concurrency} | ${labels[m.target] ?? m.target} | ${fmt.int(s.rps)} | ${fmt.ms(s.p50Ms)} | ${fmt.ms(s.p99Ms)} | ${fmt.ms(s.ttfbP50Ms)} | ${fmt.ms(s.ttfbP99Ms)} | ${m.target === 'origin' ? '–' : fmt.signedMs(m.mode === 'stream' ? s.addedTtfbP50Ms : s.addedP50Ms)} | ${fmt.int(s.cpuUsPerRequest)} | ${fmt.pct(s.loadGeneratorCpu)} |`,
    );
  }
  lines.push(
    '',
    '| mode | conc. | gateway / pass-through req/s | gateway / Portkey req/s | gateway / pass-through TTFB | gateway / Portkey TTFB |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const r of results.ratios) {
    lines.push(
      `| ${r.mode} | ${r.concurrency} | ${fmt.x(r.gatewayOverPassthroughRps)} | ${fmt.x(r.gatewayOverPortkeyRps)} | ${fmt.x(r.gatewayOverPassthroughTtfbP50)} | ${fmt.x(r.gatewayOverPortkeyTtfbP50)} |`,
    );
  }
  if (results.busyAccount.length) {
    lines.push('', '| one busy account | conc. | admitted req/s | p50 ms | p99 ms | refused | CPU µs/req |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const b of results.busyAccount) {
      lines.push(
        `| ${labels[b.target] ?? b.target} | ${b.concurrency} | ${fmt.int(b.admittedRps)} | ${fmt.ms(b.p50Ms)} | ${fmt.ms(b.p99Ms)} | ${fmt.int(b.refused)} | ${fmt.int(b.cpuUsPerRequest)} |`,
      );
    }
  }
  for (const [kind, rows] of /** @type {const} */ ([
    ['JSON', results.floor],
    ['streams', results.streamFloor],
  ])) {
    if (!rows?.length) continue;
    lines.push(
      '',
      `| the runtime's floor (${kind}, c=${rows[0].concurrency}, no gateway code) | req/s | p50 ms | CPU µs/req | over forward only |`,
      '|---|---:|---:|---:|---:|',
    );
    for (const f of rows) {
      lines.push(
        `| ${labels[f.target] ?? f.target} | ${fmt.int(f.rps)} | ${fmt.ms(f.p50Ms)} | ${fmt.int(f.cpuUsPerRequest)} | ${fmt.x(f.overForwardOnlyRps)} |`,
      );
    }
  }
  lines.push(
    '',
    `Bundle: ${fmt.int(bundle.bytes / 1024)} KiB, ${fmt.int(bundle.wranglerGzipKiB ?? bundle.gzipBytes / 1024)} KiB gzipped (wrangler deploy --dry-run). ` +
      "Added p50 is over the direct origin in the same run (TTFB for streams). CPU µs/req is the server process tree (workerd for workers) per answered request; load-gen CPU is the load generator's share of one core.",
  );
  if (results.billing) {
    const b = results.billing;
    lines.push(
      '',
      `Books: the gateway answered ${fmt.int(b.answered)} requests with 2xx; ${fmt.int(b.usageRows)} usage rows in D1 (${fmt.int(b.distinctRequests)} distinct requests: ` +
        `a run that stops mid-request leaves a few settled but not counted as answered), costing ${fmt.int(b.usageCostMicros)} µUSD; the account was debited ${fmt.int(b.debitedMicros)} µUSD; ` +
        `${fmt.int(b.openReservations)} reservations and ${fmt.int(b.inFlightMicros)} µUSD left in flight, ${fmt.int(b.pendingOutbox)} outbox rows undrained. ` +
        `${fmt.int(b.pooledMicros)} µUSD pooled: marks of an earlier life of the object (evicted while idle between runs), held until they expire (docs/architecture.md).`,
    );
  }
  return lines.join('\n');
}
