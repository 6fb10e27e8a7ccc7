// @ts-check
/**
 * CPU time of server processes, from /proc (Linux): utime + stime of a process and all its
 * descendants. Read before and after a load run, divided by the requests answered, it gives the
 * CPU each request cost inside that server (workerd runs the worker, its Durable Object and the
 * local KV/D1 simulators in one process tree, so all of the gateway's own work is counted).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (almost always 100). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses).
 * @param {number} pid
 * @returns {string[] | null}
 */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited
  }
}

/**
 * Direct children of a process.
 * @param {number} pid
 * @returns {number[]}
 */
export function childPids(pid) {
  /** @type {number[]} */
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // fields[1] is the parent pid (field 4 of stat; the first two are pid and comm).
    if (fields && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/**
 * The given processes and all their descendants.
 * @param {number[]} roots
 * @returns {number[]}
 */
export function processTree(roots) {
  /** @type {Map<number, number[]>} */
  const byParent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    byParent.set(parent, [...(byParent.get(parent) ?? []), Number(entry)]);
  }
  const seen = new Set(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of byParent.get(/** @type {number} */ (queue.shift())) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return [...seen];
}

/**
 * User + system CPU milliseconds consumed so far by these processes (not their descendants:
 * pass `processTree(...)`). Processes that have exited count as 0.
 * @param {number[]} pids
 */
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    // utime and stime are stat fields 14 and 15: indexes 11 and 12 here.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
