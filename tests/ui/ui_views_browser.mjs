// Drives Debian's chromium (headless) with playwright-core through the
// overview, profiles and incident views against a quartetd seeded by
// tests/ui/ui_test.cc (OverviewProfilesAndIncidentInChromium):
//   node ui_views_browser.mjs <base url> <screenshot dir> <trace id> <10k-span trace id>
//        <service> <from RFC 3339> <to RFC 3339> <annotations 0|1> <fixtures dir>
// Profiles (/pyroscope/render) and the incident report (/api/v1/incident)
// are served from fixtures through page.route() until quartetd has them.
// Prints one JSON line {"ok":true,"figures":{...}} and exits 0, or prints
// what failed and exits 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSession } from './browser_session.mjs';

const [base, outDir, traceId, bigTraceId, service, from, to, annotations, fixtures] = process.argv.slice(2);
const kImage = '<img src=x onerror="window.__pwned=2">';
const figures = {};

const session = await openSession(base);
const { context, page, failures, pageErrors, check, assertInert } = session;
const u = session.url;

async function promql(query, time) {
  const r = await fetch(u('/api/v1/query', { query, time: String(Date.parse(time) / 1000) }));
  const j = await r.json();
  return Number(j?.data?.result?.[0]?.value?.[1]);
}

const near = (a, b) => Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

// A flamebearer of more than 10k nodes (seeded PRNG), with a heavy
// sqlite3VdbeExec and a function named with markup.
function bigFlamebearer() {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const names = ['total'];
  const index = new Map();
  const nameIdx = (n) => {
    if (!index.has(n)) {
      index.set(n, names.length);
      names.push(n);
    }
    return index.get(n);
  };
  const levels = [];
  const ends = [];
  const emit = (L, x, total, self, name) => {
    (levels[L] ??= []).push(x - (ends[L] ?? 0), total, self, nameIdx(name));
    ends[L] = x + total;
  };
  let count = 0;
  const gen = (L, x, total, name) => {
    count++;
    const kids = L < 9 && total >= 8 ? 2 + Math.floor(rnd() * 3) : 0;
    let used = 0;
    const children = [];
    for (let k = 0; k < kids; k++) {
      const t = Math.floor((total - used) * (0.3 + rnd() * 0.4));
      if (t < 1) break;
      children.push(t);
      used += t;
    }
    const self = total - used;
    emit(L, x, total, self, name);
    let cx = x;
    for (const t of children) {
      const fn = L === 8 && rnd() < 0.5 ? 'sqlite3VdbeExec' : L === 5 && rnd() < 0.02 ? kImage : `lib${Math.floor(rnd() * 40)}::fn${Math.floor(rnd() * 3000)}`;
      gen(L + 1, cx, t, fn);
      cx += t;
    }
  };
  gen(0, 0, 4_000_000, 'total');
  return { count, json: { version: 1, flamebearer: { names, levels, numTicks: 4_000_000, maxSelf: 0 }, metadata: { format: 'single', spyName: '', sampleRate: 100, units: 'samples', name: 'cpu' }, timeline: null } };
}

const kDiff = {
  flamebearer: { names: ['total', 'orders::FindByUser', 'sqlite3BtreeIndexSeek', 'sqlite3VdbeExec'], numTicks: 400, levels: [[0, 100, 0, 0, 300, 0, 0], [0, 100, 10, 0, 300, 20, 1], [0, 85, 85, 0, 20, 20, 2, 0, 5, 5, 0, 260, 260, 3]] },
  metadata: { format: 'double', units: 'samples' },
  leftTicks: 100,
  rightTicks: 300,
};

try {
  // 0. First paint of the app.
  await page.goto(u('/ui/explore/traces'));
  await page.locator('.topbar').waitFor();
  figures.first_contentful_paint_ms = await page.evaluate(() => Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1));

  // 1. The overview by URL alone: RED numbers equal to PromQL over the window.
  let t = Date.now();
  await page.goto(u('/ui/overview', { service, from, to }));
  await page.locator('.red-total td[data-metric="rate"]').waitFor({ timeout: 20000 });
  figures.overview_table_ms = Date.now() - t;
  const cell = async (route, metric) => Number(await page.locator(`.red-table tr[data-route="${route}"] td[data-metric="${metric}"]`).getAttribute('data-value'));
  const w = `${Math.round((Date.parse(to) - Date.parse(from)) / 1000)}s`;
  const sel = `service_name="${service}"`;
  const wantRate = await promql(`sum(rate(http_server_request_duration_seconds_count{${sel}}[${w}]))`, to);
  const wantErr = await promql(`sum(rate(http_server_request_duration_seconds_count{${sel}, status=~"5.."}[${w}])) / sum(rate(http_server_request_duration_seconds_count{${sel}}[${w}]))`, to);
  const wantP99 = await promql(`histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{${sel}, route="/checkout"}[${w}])))`, to);
  const wantHomeP50 = await promql(`histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{${sel}, route="/home"}[${w}])))`, to);
  check(near(await cell('*', 'rate'), wantRate), `rate ${await cell('*', 'rate')} != PromQL ${wantRate}`);
  check(Math.abs(wantRate - 31 / 15) < 0.2, `seeded rate should be about 2.07/s, PromQL says ${wantRate}`);
  check(near(await cell('*', 'errors'), wantErr), `error ratio ${await cell('*', 'errors')} != PromQL ${wantErr}`);
  check(near(await cell('/checkout', 'p99'), wantP99), `/checkout p99 ${await cell('/checkout', 'p99')} != PromQL ${wantP99}`);
  check(near(await cell('/home', 'p50'), wantHomeP50), `/home p50 ${await cell('/home', 'p50')} != PromQL ${wantHomeP50}`);
  check((await cell('/home', 'errors')) === 0, `/home has no errors, shown ${await cell('/home', 'errors')}`);
  const shownRate = await page.locator('.red-total td[data-metric="rate"]').textContent();
  check(shownRate === `${wantRate.toFixed(3)}/s`, `rate text ${shownRate}`);
  await page.locator('.red-chart canvas').nth(2).waitFor({ timeout: 15000 });
  check((await page.locator('.red-charts figure.red-chart').count()) === 3, 'want 3 RED charts');
  const dot = page.locator(`a.exemplar[data-trace-id="${traceId}"]`);
  await dot.waitFor({ timeout: 15000 });
  await page.locator('.gauge[data-series="db_pool_connections (active)"]').waitFor({ timeout: 15000 });
  check((await page.locator('.gauge-value').first().textContent()).includes('/ 10'), 'pool gauge max');
  // The seeded 500s fire UiShopErrors (a rule of the test's config).
  const firing = page.locator('.alerts-strip .alert-firing', { hasText: 'UiShopErrors' });
  try {
    await firing.waitFor({ timeout: 5000 });
  } catch {
    // evaluated after the page loaded: reload once
    await page.reload();
    await firing.waitFor({ timeout: 10000 }).catch(() => {});
  }
  check((await firing.count()) === 1, `alert strip: ${await page.locator('.alerts-strip').textContent()}`);
  if (await firing.count()) {
    check((await firing.locator('a', { hasText: 'window' }).getAttribute('href')).startsWith('/ui/overview?service=uishop&from='), 'alert window link');
    check((await firing.locator('a', { hasText: 'report' }).getAttribute('href')) === '/ui/incident?alert=UiShopErrors', 'alert report link');
  }
  await page.locator('.red-total td[data-metric="rate"]').waitFor({ timeout: 20000 });
  if (annotations === '1') {
    await page.locator('a.marker').first().waitFor({ timeout: 10000 });
    const markers = await page.locator('a.marker').count();
    check(markers >= 4, `annotation markers on every chart: ${markers}`);
    check((await page.locator('a.marker').first().getAttribute('title')).includes(kImage), 'marker hover text not literal');
  } else {
    check((await page.locator('.annotations-box').textContent()).includes('not available'), 'annotations: want "not available"');
  }
  await assertInert('overview');
  await page.screenshot({ path: `${outDir}/overview.png`, fullPage: true });
  // "/" focuses the service picker.
  await page.locator('h1').click();
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Service'), '"/" did not focus the service picker');
  // An annotation marker opens the window after it.
  if (annotations === '1') {
    const href = await page.locator('.red-charts a.marker').first().getAttribute('href');
    check(/\/ui\/overview\?service=uishop&from=/.test(href), `marker link ${href}`);
  }
  // A route row narrows the view to that route (URL state).
  await page.locator('.red-table tr[data-route="/checkout"]').click();
  await page.waitForURL(/route=%2Fcheckout/);
  await page.locator(`a.exemplar[data-trace-id="${traceId}"]`).waitFor({ timeout: 15000 });
  // The exemplar dot opens its trace.
  t = Date.now();
  await page.locator(`a.exemplar[data-trace-id="${traceId}"]`).click();
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}\\?span=00f067aa0ba90401`));
  await page.locator('.wf-row').nth(1).waitFor({ timeout: 15000 });
  figures.exemplar_to_trace_ms = Date.now() - t;
  check((await page.locator('.wf-row').count()) === 2, 'exemplar trace waterfall');
  const profileLink = page.locator('.panel a', { hasText: 'Profile of this span' });
  await profileLink.waitFor({ timeout: 10000 });
  check((await profileLink.getAttribute('href')).includes('span_id=00f067aa0ba90401'), 'profile-of-span link lacks span_id');
  // A heatmap cell searches the traces of its bucket and time.
  await page.goBack();
  const heat = page.locator('.heatmap-canvas');
  await heat.waitFor({ timeout: 15000 });
  const box = await heat.boundingBox();
  await page.mouse.click(box.x + box.width - 20, box.y + 10);
  await page.waitForURL(/\/ui\/explore\/traces\?q=/);
  const q = new URL(page.url()).searchParams.get('q');
  check(q.includes('resource.service.name = "uishop"') && q.includes('duration'), `heatmap cell query: ${q}`);
  // Dark theme.
  await page.goto(u('/ui/overview', { service, from, to }));
  await page.locator('.red-chart canvas').first().waitFor({ timeout: 15000 });
  await page.locator('.theme-toggle').click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${outDir}/overview-dark.png`, fullPage: true });
  await page.locator('.theme-toggle').click();

  // 2. Profiles: the flame graph from a flamebearer (fixture via page.route).
  const big = bigFlamebearer();
  check(big.count >= 10000, `fixture has only ${big.count} nodes`);
  let renderUrl = '';
  await page.route('**/pyroscope/render?**', (route) => {
    renderUrl = route.request().url();
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(big.json) });
  });
  await page.route('**/pyroscope/render-diff?**', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(kDiff) }));
  const query = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="uishop"}';
  t = Date.now();
  await page.goto(u('/ui/profiles', { query, from: 'now-1h', to: 'now' }));
  await page.locator('.view-profiles[data-ready="1"]').waitFor({ timeout: 20000 });
  await page.waitForFunction(() => Number(document.querySelector('.flame-canvas')?.dataset.drawn ?? 0) > 0);
  figures.flame_graph_open_ms = Date.now() - t;
  figures.flame_graph_nodes = big.count;
  figures.flame_graph_draw_ms = Number(((await page.locator('.status').textContent()).match(/(\d+) ms/) ?? [])[1]);
  check(renderUrl.includes('format=json') && renderUrl.includes('until='), `render request ${renderUrl}`);
  check((await page.locator('.fact', { hasText: 'Nodes' }).textContent()).includes(String(big.count)), 'node count');
  // Top table sorted by self; the markup-named function is literal text.
  const selfs = await page.locator('.top-table tbody tr td:nth-child(2)').allTextContents();
  const pct = (s) => Number(s.split('·')[1].replace('%', ''));
  check(selfs.length > 10 && selfs.every((s, i) => i === 0 || pct(selfs[i - 1]) >= pct(s)), 'top table not sorted by self');
  check((await page.locator('.top-table td.fn-name', { hasText: kImage }).count()) === 1, 'markup function name not literal');
  await page.locator('.top-table th button[data-sort="total"]').click();
  await page.waitForURL(/sort=total/);
  check((await page.locator('.top-table th[aria-sort]').textContent()) === 'Total', 'sort by total');
  // Search highlights and narrows the table.
  await page.fill('.flame-search', 'sqlite3');
  await page.waitForURL(/search=sqlite3/);
  check(/functions match/.test(await page.locator('.flame-match').textContent()), 'search match info');
  check((await page.locator('.top-table tbody tr').count()) === 1, 'search narrows the top table');
  // Sandwich of a function from the table; Esc closes it.
  await page.locator('.top-table tbody tr').first().click();
  await page.waitForURL(/sandwich=sqlite3VdbeExec/);
  check((await page.locator('.sandwich canvas').count()) === 2, 'sandwich has callers and callees');
  await page.screenshot({ path: `${outDir}/profiles.png`, fullPage: false });
  await page.locator('h1').click();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !location.search.includes('sandwich='));
  // Click-to-zoom puts the node in the URL; reset clears it.
  const canvas = page.locator('.flame-box .flame-canvas');
  const cb = await canvas.boundingBox();
  await page.mouse.click(cb.x + 5, cb.y + 18 * 2 + 9);
  await page.waitForURL(/zoom=\d+/);
  await page.locator('button', { hasText: 'Reset zoom' }).click();
  await page.waitForFunction(() => !location.search.includes('zoom='));
  // The same by keyboard: arrows walk the frames, Enter zooms, Esc resets.
  await canvas.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(/zoom=\d+/);
  check(!(await page.locator('.flame-box .flame-tip').isHidden()), 'keyboard frame has no tooltip');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !location.search.includes('zoom='));
  await assertInert('profiles');
  // Diff of two windows.
  await page.goto(u('/ui/profiles', { query, from: 'now-15m', to: 'now', diff_from: 'now-2h', diff_to: 'now-1h' }));
  await page.locator('.view-profiles[data-ready="1"]').waitFor({ timeout: 15000 });
  check((await page.locator('.top-table th', { hasText: 'Self change' }).count()) === 1, 'diff: no self change column');
  check((await page.locator('.top-table tr[data-function="sqlite3VdbeExec"] td.grew').count()) === 1, 'diff: sqlite3VdbeExec should have grown');
  await page.screenshot({ path: `${outDir}/profiles-diff.png` });
  // "Profile of this span" passes the span id to the render API.
  await page.goto(u(`/ui/trace/${traceId}`, { span: '00f067aa0ba90401' }));
  await page.locator('.panel a', { hasText: 'Profile of this span' }).click();
  await page.locator('.view-profiles[data-ready="1"]').waitFor({ timeout: 15000 });
  check(renderUrl.includes('span_id=00f067aa0ba90401'), `span profile request ${renderUrl}`);
  // A trace id typed into a search box opens the trace.
  await page.fill('.flame-search', traceId);
  await page.press('.flame-search', 'Enter');
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}$`));
  // ... and so does one pasted into an empty query box.
  await page.goto(u('/ui/explore/metrics'));
  await page.locator('[data-query-input]').focus();
  await page.evaluate((id) => {
    const dt = new DataTransfer();
    dt.setData('text', id);
    document.querySelector('[data-query-input]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, traceId);
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}$`));
  await page.unroute('**/pyroscope/render?**');
  // Without the fixture: quartetd's own answer (a "not available" until it has profiles).
  await page.goto(u('/ui/profiles', { query, from: 'now-1h', to: 'now' }));
  await page.waitForFunction(() => document.querySelector('.query-bar .error:not([hidden])') || document.querySelector('.view-profiles[data-ready="1"]'), null, { timeout: 15000 });

  // 3. The incident page from a stored report (until /api/v1/incident exists).
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const report = readFileSync(join(fixtures, 'incident_report.json'), 'utf8')
    .replaceAll('%FROM%', new Date(fromMs + (toMs - fromMs) / 2).toISOString())
    .replaceAll('%TO%', new Date(toMs).toISOString())
    .replaceAll('%BASE_FROM%', new Date(fromMs).toISOString())
    .replaceAll('%ONSET%', new Date(fromMs + (toMs - fromMs) * 0.6).toISOString());
  let incidentUrl = '';
  await page.route('**/api/v1/incident?**', (route) => {
    incidentUrl = route.request().url();
    return route.fulfill({ status: 200, contentType: 'application/json', body: report });
  });
  t = Date.now();
  await page.goto(u('/ui/incident', { service, from, to }));
  await page.locator('.view-incident[data-ready="1"]').waitFor({ timeout: 15000 });
  figures.incident_ms = Date.now() - t;
  check(incidentUrl.includes('service=uishop') && incidentUrl.includes(`to=${Math.ceil(toMs / 1000)}`), `incident request ${incidentUrl}`);
  check((await page.locator('.incident-section').count()) === 4, 'want 4 sections');
  check((await page.locator('.incident-verdict').textContent()).includes('is broken'), 'verdict');
  check((await page.locator('.incident-broken .finding').count()) === 2, 'broken findings');
  check((await page.locator('.incident-who .finding-summary').textContent()).includes('<script>window.__pwned=3</script>'), 'who summary not literal');
  check((await page.locator('.incident-who .chip').last().textContent()).includes('onerror'), 'subject not literal');
  check((await page.locator('.incident-who .finding-links a').count()) === 1, 'unsafe links must be dropped');
  check((await page.locator('.incident-broken .finding-links a[data-app-link]').first().getAttribute('href')).startsWith('/ui/overview'), 'app link');
  check((await page.locator('.incident-conclusion').textContent()).includes('orders index'), 'conclusion');
  await page.locator('.incident-evidence .red-chart canvas').first().waitFor({ timeout: 15000 });
  await assertInert('incident');
  await page.screenshot({ path: `${outDir}/incident.png`, fullPage: true });
  await page.goto(u('/ui/incident', { alert: 'HighCheckoutLatency' }));
  await page.locator('.view-incident[data-ready="1"]').waitFor({ timeout: 15000 });
  check(incidentUrl.includes('alert=HighCheckoutLatency'), `alert report request ${incidentUrl}`);
  // A finding's app link opens its view.
  await page.locator('.incident-broken .finding-links a[data-app-link]').first().click();
  await page.waitForURL(/\/ui\/overview\?service=uishop&route=%2Fcheckout/);
  await page.unroute('**/api/v1/incident?**');
  // quartetd's own report (or "not available" before it has the endpoint):
  // either way the page settles without a page error.
  await page.goto(u('/ui/incident', { service, from, to }));
  await page.waitForFunction(() => document.querySelector('.query-bar .error:not([hidden])') || document.querySelector('.view-incident[data-ready="1"]'), null, { timeout: 30000 });
  figures.real_incident_report = (await page.locator('.incident-verdict').count()) ? await page.locator('.incident-verdict').textContent() : await page.locator('.query-bar .error').textContent();

  // The alert's report from quartetd itself (the alert link of the overview).
  await page.goto(u('/ui/overview', { service, from, to }));
  const reportLink = page.locator('.alerts-strip .alert-firing a', { hasText: 'report' });
  if (await reportLink.count()) {
    await reportLink.click();
    await page.waitForURL(/\/ui\/incident\?alert=UiShopErrors/);
    await page.waitForFunction(() => document.querySelector('.query-bar .error:not([hidden])') || document.querySelector('.view-incident[data-ready="1"]'), null, { timeout: 30000 });
    figures.real_alert_report = (await page.locator('.incident-verdict').count()) ? await page.locator('.incident-verdict').textContent() : await page.locator('.query-bar .error').textContent();
    await page.waitForTimeout(500);
    await assertInert('alert report');
    await page.screenshot({ path: `${outDir}/incident-alert.png`, fullPage: true });
  }

  // 4. A 10k-span trace, by URL.
  t = Date.now();
  await page.goto(u(`/ui/trace/${bigTraceId}`));
  await page.locator('.wf-row').first().waitFor({ timeout: 30000 });
  figures.trace_10k_spans_ms = Date.now() - t;
  check((await page.locator('.fact', { hasText: 'Spans' }).textContent()).includes('10000'), 'big trace span count');
  check((await page.locator('.wf-row').count()) < 200, 'waterfall not virtualized');
  await page.screenshot({ path: `${outDir}/trace-10k.png` });
  await assertInert('end');
} catch (e) {
  failures.push(`exception: ${e && e.stack ? e.stack : e}`);
}

await session.finish({ figures });
