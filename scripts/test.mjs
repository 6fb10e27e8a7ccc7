#!/usr/bin/env node
/**
 * `npm test` after the typecheck: the workers tests (vitest in workerd, vitest.config.ts), then the
 * browser tests (vitest in Node driving Chromium, e2e/vitest.config.ts). Both always run; the exit
 * code is non-zero if either failed.
 *
 * Arguments are passed to both vitest runs, so `npm test -- --reporter=json
 * --outputFile.json=out/vitest.json` works as before; the browser run writes its JSON report next
 * to it with ".e2e" before the extension (out/vitest.e2e.json). Positional filters go to both.
 *
 *   E2E=0 npm test    skip the browser tests (e.g. no Chromium on this machine)
 *   E2E_ONLY=1 npm test   only the browser tests (npm run test:e2e: the same without the typecheck)
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST_PACKAGE = createRequire(import.meta.url).resolve('vitest/package.json');
const VITEST = join(dirname(VITEST_PACKAGE), 'vitest.mjs'); // its bin
const args = process.argv.slice(2);

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;

/** Run vitest with `extra` args; resolves with its exit code. Ctrl-C reaches it through the terminal. */
function vitest(extra) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITEST, 'run', ...extra], { cwd: ROOT, stdio: 'inherit' });
    current = child;
    child.once('error', (error) => {
      console.error(`could not start vitest: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The same arguments with JSON report paths moved to <name>.e2e.json. */
function e2eArgs(list) {
  return list.map((arg) => arg.replace(/^(--outputFile(?:\.json)?=)(.+?)(\.json)?$/, (_, flag, path, ext = '') => `${flag}${path}.e2e${ext}`));
}

const runE2E = process.env.E2E !== '0';
// A file filter (`npm test -- worker/metering`) matches files of one run only; the other run then
// has no test files, which is no failure.
const hasFilter = args.some((arg, i) => !arg.startsWith('-') && !(i > 0 && /^--[^=]+$/.test(args[i - 1])));
const common = hasFilter ? ['--passWithNoTests'] : [];
const onlyE2E = process.env.E2E_ONLY === '1';
// A terminal's Ctrl-C reaches vitest too; wait for it to clean up (stop the e2e stack) and exit.
// SIGTERM (e.g. from CI) is passed on; no further run starts after either.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});
process.on('SIGTERM', () => {
  interrupted = true;
  current?.kill('SIGTERM');
});
let failed = false;
if (!onlyE2E) failed = (await vitest([...common, ...args])) !== 0 || failed;
if (interrupted) process.exit(130);
if (runE2E || onlyE2E) {
  console.log('\nBrowser tests (e2e/, Chromium):');
  failed = (await vitest(['--config', 'e2e/vitest.config.ts', ...common, ...e2eArgs(args)])) !== 0 || failed;
} else {
  console.log('\nBrowser tests skipped (E2E=0).');
}
process.exit(failed ? 1 : 0);
