// @ts-check
/**
 * Cron triggers under `wrangler dev`, which never fires them itself: the gateway runs with
 * `--test-scheduled`, and this ticker calls its `/__scheduled` route on the schedules of
 * wrangler.toml's `[triggers]` (every minute: settle replay and alert delivery; every hour:
 * reconciliation, archival, rollup pruning, statements, anomalies, forecasts), the hourly one
 * also once right away so a fresh `npm start` shows what the jobs do.
 */

const MINUTE_MS = 60_000;
const EVERY_MINUTE = '* * * * *';
const HOURLY = '17 * * * *';

/**
 * @param {{ gatewayUrl: string, say?: (line: string) => void }} options
 * @returns {{ stop(): void }}
 */
export function startCronTicker({ gatewayUrl, say = () => {} }) {
  let stopped = false;
  let minutes = 0;
  const fire = async (/** @type {string} */ cron) => {
    if (stopped) return;
    try {
      const res = await fetch(`${gatewayUrl}/__scheduled?cron=${encodeURIComponent(cron)}`);
      await res.arrayBuffer();
      if (!res.ok) say(`cron "${cron}": the gateway answered ${res.status}`);
    } catch (error) {
      if (!stopped) say(`cron "${cron}": ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  void fire(HOURLY);
  const timer = setInterval(() => {
    minutes++;
    void fire(minutes % 60 === 0 ? HOURLY : EVERY_MINUTE);
  }, MINUTE_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
