/** The repo-root `.dev.vars` (local secrets for `wrangler dev`): created once, never overwritten. */
import { randomBytes } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';

/**
 * Parse dotenv-style `KEY=value` lines (quotes around the value are removed).
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    vars[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

/**
 * Make sure `.dev.vars` holds ADMIN_TOKEN and DEMO_ORIGIN_KEY. A missing file is created; a file
 * missing one of them gets it appended; existing values are never changed.
 * @param {string} file
 * @returns {Promise<{ vars: Record<string, string>, created: string[] }>} created: keys written now
 */
export async function ensureDevVars(file) {
  /** @type {string | undefined} */
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }
  const existing = parseDevVars(text ?? '');
  const wanted = {
    ADMIN_TOKEN: () => randomBytes(32).toString('hex'),
    DEMO_ORIGIN_KEY: () => randomBytes(24).toString('hex'),
  };
  const created = Object.keys(wanted).filter((key) => !existing[key]);
  if (created.length > 0) {
    const lines = created.map((key) => `${key}=${wanted[/** @type {keyof typeof wanted} */ (key)]()}`);
    if (text === undefined) {
      const header = '# Local secrets for `wrangler dev` (created by `npm start`; never committed).\n';
      await writeFile(file, header + lines.join('\n') + '\n', { mode: 0o600 });
    } else {
      await appendFile(file, (text.endsWith('\n') || text === '' ? '' : '\n') + lines.join('\n') + '\n');
    }
  }
  return { vars: parseDevVars(await readFile(file, 'utf8')), created };
}
