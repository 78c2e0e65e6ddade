// Measures, by hand, what tests cannot afford to seed: a 1M-line log search
// in chromium. Pushes `lines` log lines (Loki JSON push, 10k a request) of
// service "bulk1m" to a running quartetd, then opens Explore logs on a
// LogQL search over them and reports how long the first rows took, and how
// long scrolling to the 10 000th line took (server-side paging).
//   cd ui && node ../tests/ui/measure_logs.mjs http://127.0.0.1:4318 [lines]
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const { chromium } = require('playwright-core');
const [base = 'http://127.0.0.1:4318', linesArg = '1000000'] = process.argv.slice(2);
const lines = Number(linesArg);
const batch = 10000;
const endNs = BigInt(Date.now() - 60_000) * 1000000n;
const startNs = endNs - BigInt(lines) * 1000000n; // one line a millisecond

let t = Date.now();
for (let i = 0; i < lines; i += batch) {
  const values = [];
  for (let j = i; j < Math.min(lines, i + batch); j++) {
    values.push([String(startNs + BigInt(j) * 1000000n), `level=${j % 10 ? 'info' : 'error'} msg="request served" n=${j} user=u${j % 977} duration_ms=${j % 300}`]);
  }
  const r = await fetch(`${base}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { service_name: 'bulk1m', level: 'mixed' }, values }] }),
  });
  if (!r.ok) throw new Error(`push ${i}: ${r.status} ${await r.text()}`);
}
const pushMs = Date.now() - t;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const from = new Date(Number(startNs / 1000000n) - 1000).toISOString();
const to = new Date(Number(endNs / 1000000n) + 1000).toISOString();
const search = async (q) => {
  t = Date.now();
  await page.goto(`${base}/ui/explore/logs?${new URLSearchParams({ q, from, to })}`);
  await page.locator('.log-row').first().waitFor({ timeout: 120000 });
  return Date.now() - t;
};
const allMs = await search('{service_name="bulk1m"}');
const filterMs = await search('{service_name="bulk1m"} |= "user=u976 "');
await search('{service_name="bulk1m"}');
t = Date.now();
const list = page.locator('.vlist');
while (Number(((await page.locator('.status').textContent()).match(/^(\d+)/) ?? [])[1] ?? 0) < 10000) {
  await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.waitForTimeout(20);
  if (Date.now() - t > 120000) break;
}
const scrollMs = Date.now() - t;
await browser.close();
console.log(JSON.stringify({ lines, push_ms: pushMs, first_rows_ms: allMs, filtered_first_rows_ms: filterMs, scroll_to_10k_ms: scrollMs }));
