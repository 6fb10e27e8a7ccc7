/** `.local/demo.json`: the demo's keys and URLs, reused across `npm start` runs while they work. */
import { readFile, writeFile } from 'node:fs/promises';
import { demoStillWorks, seedDemo } from './seed.mjs';

/**
 * Reuse the demo record in `file` if it names the demo users and its API key still works on this
 * gateway; otherwise seed demo data through the sign-up and admin APIs and write the file (mode 0600: it holds secrets).
 * @param {import('./seed.d.mts').SeedOptions & { file: string }} options
 * @returns {Promise<{ demo: import('./seed.d.mts').DemoRecord, reused: boolean }>}
 */
export async function ensureDemo({ file, ...options }) {
  const saved = await readDemoFile(file);
  // A record from before sign-in (no demo users), budgets or organisations is seeded afresh (the seed keeps what exists).
  if (
    saved &&
    saved.gatewayUrl === options.gatewayUrl &&
    saved.userEmail &&
    saved.adminEmail &&
    saved.budgets &&
    saved.organization &&
    (await demoStillWorks(saved, options))
  ) {
    return { demo: saved, reused: true };
  }
  const demo = await seedDemo(options);
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return { demo, reused: false };
}

/**
 * The saved record, or undefined when the file is missing or not JSON.
 * @param {string} file
 * @returns {Promise<import('./seed.d.mts').DemoRecord | undefined>}
 */
export async function readDemoFile(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}
