// Builds the UI into dist/: one minified, content-hashed JS bundle and CSS
// file under dist/assets/, dist/index.html pointing at them, and a .gz twin of
// every file over 1 KiB (quartetd sends it to clients that accept gzip).
// quartetd embeds dist/ at its build (server/api/ui/embed_ui.cmake).
// Usage: node build.mjs [--watch-free; no options]
import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('.', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(root, 'src/main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  splitting: true,
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => relative(dist, join(root, p)));
const js = outputs.find((p) => /assets\/app-[^/]*\.js$/.test(p));
const css = outputs.find((p) => /assets\/app-[^/]*\.css$/.test(p));
if (!js || !css) throw new Error(`bundle outputs missing: ${outputs.join(', ')}`);

const template = readFileSync(join(root, 'src/index.html'), 'utf8');
const html = template.replace('%APP_CSS%', `/ui/${css}`).replace('%APP_JS%', `/ui/${js}`);
if (html.includes('%APP_')) throw new Error('index.html template placeholders left');
writeFileSync(join(dist, 'index.html'), html);

let total = 0;
let totalGz = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { walk(p); continue; }
    const body = readFileSync(p);
    const gz = gzipSync(body, { level: 9 });
    total += body.length;
    if (body.length > 1024 && gz.length < body.length) {
      writeFileSync(`${p}.gz`, gz);
      totalGz += gz.length;
    } else {
      totalGz += body.length;
    }
    console.log(`  ${relative(dist, p).padEnd(32)} ${String(body.length).padStart(8)} B  ${String(gz.length).padStart(7)} B gzip`);
  }
};
walk(dist);
console.log(`ui: dist/ ${total} B, ${totalGz} B as sent gzip'd`);
