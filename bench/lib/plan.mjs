// @ts-check
/**
 * The measurement plan: which target is driven how, in what order, how often. Each
 * measurement runs in its own load-generator process (load.mjs); a run that saw a non-2xx, an
 * error or a bad body is recorded as a failure (the smoke's exit status depends on it).
 */
import { drive } from './load.mjs';
import { chatBody } from './targets.mjs';

/**
 * @typedef {import('./targets.mjs').Target} Target
 * @typedef {{ tool: 'autocannon' | 'streams', kind: 'json' | 'stream' | 'admit', connections: number, seconds: number }} How
 * @typedef {(target: Target, how: How) => Promise<Record<string, any>>} Measure
 */

/**
 * A measuring function bound to a supervisor; it appends problems to `failures` and counts the
 * gateway's answered requests (for the billing check).
 * @param {import('./processes.mjs').Supervisor} supervisor
 * @param {{ failures: string[], gatewayAnswered: number, say: (line: string) => void }} state
 * @returns {Measure}
 */
export function measurer(supervisor, state) {
  return async function measure(target, { tool, kind, connections, seconds }) {
    const result = await drive(supervisor, {
      tool,
      url: target.url,
      headers: target.headers,
      body: kind === 'admit' ? '' : chatBody(kind),
      kind,
      connections,
      durationMs: seconds * 1000,
      cpuRoots: target.pids,
    });
    if (target.id === 'gateway') state.gatewayAnswered += result.ok;
    const bad = result.non2xx + result.errors + result.mismatches + (result.timeouts ?? 0);
    if (bad > 0 || result.ok === 0) {
      const problem = `${target.id} ${kind} c=${connections} (${tool}): ${result.ok} ok, ${result.non2xx} non-2xx ${JSON.stringify(result.statusCodes ?? {})}, ${result.errors} errors, ${result.mismatches} bad bodies`;
      state.failures.push(problem);
      state.say(`  ! ${problem}`);
    }
    return result;
  };
}

/** The targets in an order rotated by `by`. @template T @param {T[]} xs @param {number} by */
const rotate = (xs, by) => xs.map((_, i) => xs[(i + by) % xs.length]);

/**
 * Every target, JSON then streams, at every concurrency: a warm-up per target, then `runs`
 * rounds that each measure all targets back to back (order rotated per round, so drift is
 * spread over all of them); for streams, the same again with the TTFB client.
 * @param {Target[]} targets
 * @param {{ concurrency: number[], runs: number, durationS: number, warmupS: number }} settings
 * @param {Measure} measure
 * @param {(line: string) => void} say
 * @returns {Promise<import('./report.mjs').Cell[]>}
 */
export async function measureMatrix(targets, settings, measure, say) {
  const cells = [];
  for (const mode of /** @type {const} */ (['json', 'stream'])) {
    for (const connections of settings.concurrency) {
      /** @type {import('./report.mjs').Cell} */
      const cell = { mode, concurrency: connections, byTarget: Object.fromEntries(targets.map((t) => [t.id, { load: [], streams: [] }])) };
      cells.push(cell);
      if (settings.warmupS > 0) for (const t of targets) await measure(t, { tool: 'autocannon', kind: mode, connections, seconds: settings.warmupS });
      for (let run = 0; run < settings.runs; run++) {
        for (const t of rotate(targets, run)) {
          const r = await measure(t, { tool: 'autocannon', kind: mode, connections, seconds: settings.durationS });
          cell.byTarget[t.id].load.push(r);
          say(`${mode} c=${connections} run ${run + 1}/${settings.runs} ${t.id}: ${Math.round(r.rps)} req/s, p50 ${r.p50?.toFixed(2)} ms`);
        }
        if (mode !== 'stream') continue;
        for (const t of rotate(targets, run)) {
          const r = await measure(t, { tool: 'streams', kind: mode, connections, seconds: settings.durationS });
          cell.byTarget[t.id].streams.push(r);
          say(`stream c=${connections} run ${run + 1}/${settings.runs} ${t.id}: TTFB p50 ${r.ttfbP50?.toFixed(2)} ms, ${Math.round(r.rps)} streams/s`);
        }
      }
    }
  }
  return cells;
}

/**
 * One busy account: each target (the gateway with its single key, the account object alone)
 * at each concurrency, JSON, `runs` times after a warm-up.
 * @param {Target[]} targets
 * @param {{ busyConcurrency: number[], runs: number, durationS: number, warmupS: number }} settings
 * @param {Measure} measure
 * @param {(line: string) => void} say
 * @returns {Promise<import('./report.mjs').BusyCell[]>}
 */
export async function measureBusyAccount(targets, settings, measure, say) {
  const busy = [];
  for (const target of targets) {
    const kind = target.id === 'account-object' ? 'admit' : 'json';
    for (const connections of settings.busyConcurrency) {
      if (settings.warmupS > 0) await measure(target, { tool: 'autocannon', kind, connections, seconds: settings.warmupS });
      /** @type {import('./report.mjs').BusyCell} */
      const cell = { target: target.id, concurrency: connections, runs: [] };
      for (let run = 0; run < settings.runs; run++) {
        const r = await measure(target, { tool: 'autocannon', kind, connections, seconds: settings.durationS });
        cell.runs.push(r);
        say(`busy account c=${connections} run ${run + 1}/${settings.runs} ${target.id}: ${Math.round(r.rps)} admitted/s`);
      }
      busy.push(cell);
    }
  }
  return busy;
}

/**
 * The runtime's floor for the design's contract (bench/floor/worker.js): each variant of one
 * worker at the goal concurrency, JSON or streams, all variants back to back in every round
 * (rotated), so ratios to the forward-only variant are paired within a round.
 * @param {Target[]} targets  the floor variants, forward-only first
 * @param {'json' | 'stream'} kind
 * @param {{ runs: number, durationS: number, warmupS: number }} settings
 * @param {Measure} measure
 * @param {number} connections
 * @param {(line: string) => void} say
 * @returns {Promise<import('./report.mjs').FloorCell>}
 */
export async function measureFloor(targets, kind, settings, measure, connections, say) {
  /** @type {import('./report.mjs').FloorCell} */
  const cell = { kind, concurrency: connections, byTarget: Object.fromEntries(targets.map((t) => [t.id, []])) };
  if (settings.warmupS > 0) for (const t of targets) await measure(t, { tool: 'autocannon', kind, connections, seconds: settings.warmupS });
  for (let run = 0; run < settings.runs; run++) {
    for (const t of rotate(targets, run)) {
      const r = await measure(t, { tool: 'autocannon', kind, connections, seconds: settings.durationS });
      cell.byTarget[t.id].push(r);
      say(`floor ${kind} c=${connections} run ${run + 1}/${settings.runs} ${t.id}: ${Math.round(r.rps)} req/s`);
    }
  }
  return cell;
}
