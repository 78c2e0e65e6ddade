// Runs the UI's unit tests (test/*.test.ts, node:test) without a browser:
// esbuild bundles each for node into a temporary directory, then
// `node --test` runs them. Exit status is node's. Used by CTest (ui_unit_test).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const tests = readdirSync(here).filter((f) => f.endsWith('.test.ts'));
const out = mkdtempSync(join(tmpdir(), 'quartet-ui-test-'));
try {
  await esbuild.build({
    entryPoints: tests.map((t) => join(here, t)),
    bundle: true,
    platform: 'node',
    format: 'esm',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    external: ['node:*'],
  });
  const files = readdirSync(out).filter((f) => f.endsWith('.mjs')).map((f) => join(out, f));
  const r = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
