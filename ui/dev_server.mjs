// For working on the UI without rebuilding quartetd: serves dist/ as quartetd
// would (index.html for app paths, assets/ by name) and passes every other
// request to a running quartetd.
//   node dev_server.mjs [--backend http://127.0.0.1:4318] [--port 5173]
// Rebuild with `npm run build` and reload the page.
import { createServer, request } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, normalize } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const backend = new URL(arg('--backend', 'http://127.0.0.1:4318'));
const port = Number(arg('--port', '5173'));
const dist = join(new URL('.', import.meta.url).pathname, 'dist');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path.startsWith('/ui/assets/')) {
    const file = normalize(join(dist, path.slice(4)));
    if (!file.startsWith(dist) || !existsSync(file)) return res.writeHead(404).end();
    const ext = file.slice(file.lastIndexOf('.'));
    return res.writeHead(200, { 'Content-Type': types[ext] ?? 'application/octet-stream' }).end(readFileSync(file));
  }
  if (path === '/' || path === '/ui' || path.startsWith('/ui/')) {
    return res.writeHead(200, { 'Content-Type': types['.html'], 'Cache-Control': 'no-cache' }).end(readFileSync(join(dist, 'index.html')));
  }
  const out = request({ host: backend.hostname, port: backend.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  out.on('error', (e) => res.writeHead(502).end(`backend: ${e.message}\n`));
  req.pipe(out);
});
server.listen(port, '127.0.0.1', () => console.log(`ui dev server on http://127.0.0.1:${server.address().port} -> ${backend.origin}`));
