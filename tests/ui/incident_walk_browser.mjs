// The walk through the reference incident (issue 8, must-show 1) in Debian's
// chromium, driven by playwright-core, against a quartetd restarted on the
// data `quartet demo` left (tests/demo_test.cc):
//   node incident_walk_browser.mjs <base url> <screenshot dir> <incident from> <incident to>
// (from/to in unix seconds, as the demo prints them). As a person would
// click it: the alert -> the report of the incident's window -> the
// overview of checkout with the migration marker -> the slowest exemplar dot of /checkout's heatmap -> that
// trace, its "SELECT orders" span and the SQL -> the trace's log lines with
// rows in the tens of thousands -> the CPU flame graph of the window with
// the sqlite scan frames among the top functions. Each step saves a
// screenshot (walk-<n>-<step>.png), each view is opened again by its URL
// alone, no request may leave quartetd, and markup planted in a log line of
// the slowest traces stays inert text.
// Prints one JSON line {"ok":true,...} and exits 0, or lists what failed
// and exits 1.
import { openSession } from './browser_session.mjs';

const [base, outDir, fromS, toS] = process.argv.slice(2);
const kAlert = 'HighCheckoutLatency';
const kCpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="checkout"}';
const kScanFrames = ['sqlite3VdbeExec', 'sqlite3BtreeNext'];
const kTopRows = 5;
const figures = {};
const urls = {};

const session = await openSession(base);
const { context, page, failures, pageErrors, check, assertInert } = session;
const u = session.url;

// Full-page shots from the top, so the sticky bar stays at the top.
async function shot(n, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${outDir}/walk-${n}-${name}.png`, fullPage: true });
}
// Untrusted text stays text on every page of the walk.
// The top functions by self time, as the table shows them.
async function topFunctions() {
  return page.locator('.top-table tbody tr').evaluateAll((rows, n) => rows.slice(0, n).map((r) => r.dataset.function), kTopRows);
}
async function waitFlame() {
  await page.locator('.view-profiles[data-ready="1"]').waitFor({ timeout: 20000 });
  await page.waitForFunction(() => Number(document.querySelector('.flame-canvas')?.dataset.drawn ?? 0) > 0, null, { timeout: 10000 });
}

// Markup from an untrusted sender, planted in a log line of each of the
// slowest /checkout traces (whichever of them the walk opens).
const kScript = '<script>window.__pwned=1</script>';
const kImage = '<img src=x onerror="window.__pwned=2">';
async function plantMarkup() {
  const span = Number(toS) - Number(fromS);
  const ex = await (
    await fetch(u('/api/v1/query_exemplars', { query: '{__name__="http_server_request_duration_seconds_bucket", route="/checkout"}', start: String(Number(fromS) - span), end: String(Number(toS) + 60) }))
  ).json();
  const slowest = (ex?.data ?? [])
    .flatMap((s) => s.exemplars ?? [])
    .map((e) => ({ id: e.labels?.trace_id, value: Number(e.value), ns: BigInt(Math.round(Number(e.timestamp) * 1000)) * 1000000n }))
    .filter((e) => /^[0-9a-f]{32}$/.test(e.id ?? ''))
    .sort((a, b) => b.value - a.value)
    .slice(0, 10);
  const attr = (key, value) => ({ key, value: { stringValue: value } });
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'checkout')] },
        scopeLogs: [
          {
            scope: { name: 'incident-walk' },
            logRecords: slowest.map((e) => ({ timeUnixNano: String(e.ns), severityText: 'WARN', severityNumber: 13, body: { stringValue: `planted ${kScript} ${kImage}` }, traceId: e.id, attributes: [attr('note', kImage)] })),
          },
        ],
      },
    ],
  };
  const r = await fetch(u('/v1/logs'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  check(r.status === 200, `planting markup: ${r.status} ${await r.text()}`);
  return new Set(slowest.map((e) => e.id));
}

const started = Date.now();
let step = 'start';
try {
  step = 'plant';
  const plantedIn = await plantMarkup();
  figures.planted_in_traces = plantedIn.size;
  // 1. The alert: quartetd keeps its firing in the ALERTS series, so its
  // report opens after the restart too.
  step = 'alert';
  const alerts = await (await fetch(u('/api/v1/query', { query: `max_over_time(ALERTS{alertname="${kAlert}",alertstate="firing"}[5m])`, time: String(Number(toS) + 60) }))).json();
  check(alerts?.data?.result?.length > 0, `ALERTS has no firing ${kAlert} before ${toS}: ${JSON.stringify(alerts).slice(0, 300)}`);
  urls.alert = u('/ui/incident', { alert: kAlert });
  await page.goto(urls.alert);
  await page.locator('.view-incident[data-ready="1"]').waitFor({ timeout: 30000 });
  const broken = await page.locator('.incident-broken').textContent();
  check(broken.includes(`${kAlert} is firing`), `alert report: ${broken}`);
  await assertInert('alert');
  await shot(1, 'alert');

  // The report of the incident's window (the demo's first "where to click"
  // link): /checkout is broken, the orders query is where. The alert's own
  // report above is not asserted to find the cause: see the demo test.
  step = 'report';
  urls.report = u('/ui/incident', { service: 'checkout', from: fromS, to: toS });
  await page.goto(urls.report);
  await page.locator('.view-incident[data-ready="1"]').waitFor({ timeout: 30000 });
  const report = {};
  for (const part of ['broken', 'where', 'why']) report[part] = await page.locator(`.incident-${part}`).textContent();
  check(report.broken.includes('/checkout is slow'), `report, broken: ${report.broken}`);
  check(report.where.includes('SELECT orders') && report.where.includes('FROM orders WHERE user_id'), `report, where: ${report.where}`);
  check(report.why.includes('DROP INDEX') && report.why.includes('rows'), `report, why: ${report.why}`);
  await assertInert('report');
  await shot(2, 'report');

  // 2. The report's window on the overview: the migration marker on the charts.
  step = 'overview';
  await page.locator('.incident-head a', { hasText: 'Open the overview' }).click();
  await page.waitForURL(/\/ui\/overview\?service=checkout&from=/);
  await page.locator('.red-total td[data-metric="rate"]').waitFor({ timeout: 20000 });
  const drop = page.locator('.red-charts a.marker', { hasText: 'DROP INDEX' });
  await drop.first().waitFor({ timeout: 15000 });
  check((await drop.count()) >= 1, 'no DROP INDEX marker on the RED charts');
  check((await page.locator('.heatmap-box a.marker', { hasText: 'DROP INDEX' }).count()) === 1, 'no DROP INDEX marker on the heatmap');
  check((await page.locator('.annotation-list li', { hasText: 'DROP INDEX idx_orders_user_id' }).count()) === 1, 'annotation list lacks the migration');
  await assertInert('overview');
  await shot(3, 'overview');

  // 3. /checkout only, then the slowest exemplar dot (highest on the heatmap).
  step = 'exemplar';
  await page.locator('.red-table tr[data-route="/checkout"]').click();
  await page.waitForURL(/route=%2Fcheckout/);
  urls.overview = page.url();
  await page.locator('.heatmap-box .heatmap-canvas').waitFor({ timeout: 15000 });
  await page.waitForFunction(() => /\d+ exemplars/.test(document.querySelector('.heatmap-box')?.textContent ?? ''), null, { timeout: 15000 });
  // Dots a click reaches (not under an annotation marker), slowest first.
  const visibleDots = async () => {
    await page.locator('.heatmap-box').scrollIntoViewIfNeeded();
    return page.locator('.heatmap-box a.exemplar').evaluateAll((as) =>
      as
        .filter((a) => {
          const r = a.getBoundingClientRect();
          const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
          return hit === a || a.contains(hit);
        })
        .map((a) => ({ id: a.dataset.traceId, top: parseFloat(a.style.top) }))
        .sort((x, y) => x.top - y.top),
    );
  };
  const dots = await visibleDots();
  figures.exemplar_dots = dots.length;
  let traceId = '';
  let rows = 0;
  // The slowest dots first; a person looks at the next when a trace is not
  // the heavy one (at most three).
  let openers = dots.slice(0, 3).map((dot) => async () => {
    await page.locator(`.heatmap-box a.exemplar[data-trace-id="${dot.id}"]`).first().click();
    await page.waitForURL(new RegExp(`/ui/trace/${dot.id}\\?span=[0-9a-f]{16}`));
    return dot.id;
  });
  if (!dots.length) {
    // The demo's histograms carry exemplars (quartet doctor checks it), so
    // this fails; the walk goes on by the slow-traces link, slowest first.
    failures.push(`no clickable exemplar dot on /checkout's heatmap: ${await page.locator('.heatmap-box').textContent()}`);
    urls.slow = u('/ui/explore/traces', { q: '{ span.http.route = "/checkout" && duration > 500ms }', from: fromS, to: toS, sort: 'duration' });
    await page.goto(urls.slow);
    await page.locator('tr.result-row').first().waitFor({ timeout: 20000 });
    const ids = await page.locator('tr.result-row').evaluateAll((rs) => rs.slice(0, 3).map((r) => r.dataset.traceId));
    openers = ids.map((id) => async () => {
      await page.goto(urls.slow);
      await page.locator(`tr.result-row[data-trace-id="${id}"] a`).first().click();
      await page.waitForURL(new RegExp(`/ui/trace/${id}`));
      return id;
    });
  }
  for (const open of openers) {
    traceId = await open();
    if (!urls.trace) await shot(4, 'exemplar-trace');

    // 4. The trace: its "SELECT orders" span with the SQL.
    step = 'trace';
    await page.locator('.wf-row').nth(1).waitFor({ timeout: 15000 });
    const select = page.locator('.wf-row', { has: page.locator('.wf-op', { hasText: /^SELECT orders$/ }) });
    check((await select.count()) === 1, `trace ${traceId}: ${await select.count()} "SELECT orders" spans`);
    await select.first().locator('.wf-op').click();
    await page.waitForURL(/span=[0-9a-f]{16}/);
    await page.locator('.panel .panel-head h2', { hasText: 'SELECT orders' }).waitFor({ timeout: 10000 });
    const panel = await page.locator('.panel').textContent();
    check(panel.includes('db.query.text') && panel.includes('FROM orders WHERE user_id = ?1'), `SELECT span panel lacks its SQL: ${panel.slice(0, 400)}`);
    urls.trace = page.url();

    // 5. Its log lines: the query's line, with rows in the tens of thousands.
    step = 'logs';
    const line = page.locator('.trace-logs .log-row', { has: page.locator('.log-line', { hasText: 'db query' }) });
    await line.first().waitFor({ timeout: 15000 });
    await line.first().click();
    const chip = page.locator('.log-detail-inline .chip', { has: page.locator('.chip-key', { hasText: /^rows$/ }) });
    await chip.first().waitFor({ timeout: 10000 });
    rows = Number(((await chip.first().textContent()).match(/=(\d+)/) ?? [])[1]);
    figures.rows = rows;
    if (rows >= 10000) {
      const planted = page.locator('.trace-logs .log-line', { hasText: `planted ${kScript} ${kImage}` });
      figures.markup_checked_in_trace = plantedIn.has(traceId);
      if (plantedIn.has(traceId)) check((await planted.count()) === 1, `the planted markup line is not shown as text in trace ${traceId}`);
      break;
    }
    if (dots.length) {
      await page.goto(urls.overview);
      await page.locator('.heatmap-box a.exemplar').first().waitFor({ timeout: 15000 });
      await page.locator('.heatmap-box').scrollIntoViewIfNeeded();
    }
  }
  check(rows >= 10000 && rows < 100000, `the trace's log lines carry rows=${rows}, not tens of thousands (trace ${traceId})`);
  await assertInert('trace');
  await shot(5, 'trace-logs');
  figures.trace = traceId;

  // 6. The flame graph of the window around the span, from the span panel.
  step = 'flame graph';
  await page.locator('.panel a', { hasText: 'Profile of the window' }).click();
  await page.waitForURL(/\/ui\/profiles\?/);
  await waitFlame();
  let top = await topFunctions();
  figures.top_functions_span_window = top;
  check(kScanFrames.some((f) => top.includes(f)), `scan frames not among the top ${kTopRows} of the span's window: ${top}`);
  // ... and of the incident window, as the demo prints it.
  urls.profiles = u('/ui/profiles', { query: kCpu, from: fromS, to: toS });
  await page.goto(urls.profiles);
  await waitFlame();
  top = await topFunctions();
  figures.top_functions_incident = top;
  check(kScanFrames.some((f) => top.includes(f)), `scan frames not among the top ${kTopRows} of the incident window: ${top}`);
  await page.fill('.flame-search', 'sqlite3');
  await page.waitForURL(/search=sqlite3/);
  check(/functions match/.test(await page.locator('.flame-match').textContent()), 'flame search finds no sqlite3 frame');
  await page.fill('.flame-search', '');
  await assertInert('profiles');
  await shot(6, 'flame-graph');
  figures.walk_ms = Date.now() - started;

  // 7. Each view again by its URL alone, in a fresh page.
  step = 'by url';
  const byUrl = [
    ['alert', urls.alert, '.view-incident[data-ready="1"]', (t) => t.includes(`${kAlert} is firing`)],
    ['report', urls.report, '.view-incident[data-ready="1"]', (t) => t.includes('FROM orders WHERE user_id')],
    ['overview', urls.overview, '.view-overview[data-ready="1"]', (t) => t.includes('DROP INDEX')],
    ['trace', urls.trace, '.panel .panel-head h2', (t) => t.includes('FROM orders WHERE user_id')],
    ['profiles', urls.profiles, '.view-profiles[data-ready="1"]', () => true],
  ];
  for (const [name, url, ready, ok] of byUrl) {
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(`${name} by url: ${e}`));
    await p.goto(url);
    await p.locator(ready).first().waitFor({ timeout: 30000 });
    if (name === 'overview') await p.locator('.heatmap-box a.marker').first().waitFor({ timeout: 15000 });
    if (name === 'profiles') await p.locator('.top-table tbody tr').first().waitFor({ timeout: 10000 });
    check(ok(await p.locator('#app').textContent()), `${name} by URL alone (${url}) does not show its content`);
    if (name === 'profiles') {
      const rows = await p.locator('.top-table tbody tr').evaluateAll((r, n) => r.slice(0, n).map((x) => x.dataset.function), kTopRows);
      check(kScanFrames.some((f) => rows.includes(f)), `profiles by URL alone: top ${rows}`);
    }
    await p.close();
  }
} catch (e) {
  failures.push(`exception at step "${step}": ${e && e.stack ? e.stack : e}`);
  await shot(9, 'failure').catch(() => {});
}

figures.total_ms = Date.now() - started;
await session.finish({ figures, urls });
