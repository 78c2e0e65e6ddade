// Drives Debian's chromium (headless) with playwright-core through quartet's
// UI against a seeded quartetd; run by tests/ui/ui_test.cc from ui/ (where
// playwright-core is installed):
//   node ui_browser.mjs <base url> <screenshot dir> <trace id> <span id> <marker>
// Prints one JSON line {"ok":true,...} and exits 0, or prints what failed and
// exits 1. Every view is opened by URL alone; planted <script>/onerror markup
// must show as literal text and never run; the page must request nothing
// outside quartetd.
import { openSession } from './browser_session.mjs';

const [base, outDir, traceId, spanId, marker] = process.argv.slice(2);
const kScript = '<script>window.__pwned=1</script>';
const kImage = '<img src=x onerror="window.__pwned=2">';
const steps = [];

const session = await openSession(base);
const { context, page, failures, pageErrors, check, assertInert } = session;
const u = session.url;

// Rows render on the next animation frame: wait for the count, up to 5 s.
async function countBecomes(selector, n) {
  try {
    await page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

try {
  // 1. Explore logs by URL alone: the planted line shows as literal text.
  let t = Date.now();
  await page.goto(u('/ui/explore/logs', { q: `{service_name="checkout"} |= "${marker}"`, from: 'now-1h', to: 'now' }));
  const planted = page.locator('.log-row', { hasText: `${marker} payment failed` });
  await planted.first().waitFor({ timeout: 15000 });
  steps.push({ step: 'explore logs by URL', ms: Date.now() - t });
  const lineText = await planted.first().locator('.log-line').textContent();
  check(lineText.includes(kScript), `log line not shown as literal text: ${lineText}`);
  const imgRow = page.locator('.log-row', { hasText: `${marker} retrying` });
  check((await imgRow.first().locator('.log-line').textContent()).includes(kImage), 'onerror line not literal');
  check((await page.locator('.log-row').count()) === 3, `want 3 planted lines, got ${await page.locator('.log-row').count()}`);
  await assertInert('explore logs');
  // The details panel shows the whole line and its metadata chips.
  await planted.first().locator('.log-line').click();
  await page.locator('.panel .log-full').waitFor();
  check((await page.locator('.panel .log-full').textContent()).includes(kScript), 'details panel line not literal');
  check((await page.locator('.panel .chip', { hasText: 'trace_id' }).count()) === 1, 'no trace_id chip');
  check(page.url().includes('line='), `selected line not in URL: ${page.url()}`);
  await page.screenshot({ path: `${outDir}/explore-logs.png`, fullPage: false });
  // That URL alone reopens the line's details.
  await page.goto(page.url());
  await page.locator('.panel .log-full').waitFor({ timeout: 10000 });
  check((await page.locator('.panel .log-full').textContent()).includes(`${marker} payment failed`), 'line URL did not reopen the line');
  await page.locator('.vlist').focus();
  await page.keyboard.press('Escape');
  check(await page.locator('.panel').isHidden(), 'Esc did not close the details panel');

  // 2. Its trace_id link opens the trace view: waterfall, then the span's logs.
  t = Date.now();
  await planted.first().locator('.log-link a').click();
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}`));
  await page.locator('.wf-row').first().waitFor({ timeout: 15000 });
  steps.push({ step: 'log line -> trace', ms: Date.now() - t });
  check((await page.locator('.wf-row').count()) === 3, `want 3 spans in the waterfall, got ${await page.locator('.wf-row').count()}`);
  const dbRow = page.locator(`.wf-row[data-span-id="${spanId}"]`);
  check((await dbRow.locator('.wf-op').textContent()).includes(kImage), 'span name not literal');
  check((await dbRow.getAttribute('class')).includes('wf-error'), 'error span not marked');
  // The link carried the span id: its details are open with its log lines.
  await page.locator('.panel .span-log').first().waitFor({ timeout: 10000 });
  const panelText = await page.locator('.panel').textContent();
  check(panelText.includes(`${marker} payment failed ${kScript}`), 'span logs missing in the panel');
  check(panelText.includes(kScript), 'status message not literal');
  check(!panelText.includes('checkout started'), "another span's log line shown as this span's");
  check((await page.locator('.trace-logs .log-row').count()) === 3, 'trace log lines missing');
  await assertInert('trace view');
  await page.screenshot({ path: `${outDir}/trace-from-log.png`, fullPage: true });

  // Collapsing the root hides its subtree; Right on the active row shows it again.
  await page.locator('.wf-row').first().locator('.wf-toggle').click();
  check(await countBecomes('.wf-row', 1), 'collapse did not hide the subtree');
  await page.locator('.waterfall .vlist').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  check(await countBecomes('.wf-row', 3), 'expand did not show the subtree');

  // Clicking the root span switches the panel; its URL says so.
  await page.locator('.wf-row').first().click();
  await page.waitForURL(/span=00f067aa0ba90201/);
  await page.locator('.panel .span-logs .muted', { hasText: 'No log lines' }).waitFor();

  // 3. The trace view by URL alone, no time range.
  const page2 = await context.newPage();
  page2.on('pageerror', (e) => pageErrors.push(String(e)));
  t = Date.now();
  await page2.goto(u(`/ui/trace/${traceId}`, { span: spanId }));
  await page2.locator('.panel .span-log').first().waitFor({ timeout: 15000 });
  steps.push({ step: 'trace by URL', ms: Date.now() - t });
  check((await page2.locator('.wf-row').count()) === 3, 'trace by URL: waterfall incomplete');
  check((await page2.locator('.panel h3', { hasText: 'Events (1)' }).count()) === 1, 'event missing');
  check((await page2.locator('.panel a', { hasText: 'trace 111122223333' }).count()) === 1, 'span link missing');
  await page2.screenshot({ path: `${outDir}/trace-by-url.png`, fullPage: true });
  await page2.close();

  // 4. Explore traces by URL with a TraceQL query; a click opens the trace.
  t = Date.now();
  await page.goto(u('/ui/explore/traces', { q: '{ resource.service.name = "db" && status = error }', from: 'now-1h', to: 'now' }));
  const result = page.locator(`tr.result-row[data-trace-id="${traceId}"]`);
  await result.waitFor({ timeout: 15000 });
  steps.push({ step: 'explore traces by URL', ms: Date.now() - t });
  check((await page.locator('tr.result-row').count()) === 1, 'TraceQL matched more than the planted trace');
  await page.locator('td', { hasText: '/ 3' }).first().waitFor({ timeout: 10000 }); // span count from the summary
  await page.screenshot({ path: `${outDir}/explore-traces.png` });
  await result.locator('td').first().click();
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}$`));
  await page.locator('.wf-row').first().waitFor();

  // Sorting is in the URL; keyboard: "/" focuses the query, Enter on a row opens it.
  await page.goto(u('/ui/explore/traces', { q: '{ }', from: 'now-1h', to: 'now', limit: '50', sort: 'duration' }));
  await page.locator('tr.result-row').first().waitFor();
  const durations = await page.locator('tr.result-row td:nth-child(4)').allTextContents();
  check(durations.length >= 30, `want >= 30 traces, got ${durations.length}`);
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement?.hasAttribute('data-query-input')), '"/" did not focus the query');
  await page.locator('tr.result-row').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/ui\/trace\//);
  check((await page.locator('th[aria-sort]').count()) === 0, 'still on the results');

  // 5. API errors appear next to the query input.
  await page.goto(u('/ui/explore/logs', { q: '{service_name=', from: 'now-1h', to: 'now' }));
  const err = page.locator('.query-bar .error');
  await err.waitFor({ state: 'visible', timeout: 10000 });
  check((await err.textContent()).startsWith('400'), `error not shown: ${await err.textContent()}`);
  await page.goto(u('/ui/explore/traces', { q: '{ status = "error" }' }));
  await err.waitFor({ state: 'visible', timeout: 10000 });
  check((await err.textContent()).startsWith('400'), 'TraceQL error not shown');

  // 6. Many lines: only visible rows are in the DOM; scrolling pages in more.
  await page.goto(u('/ui/explore/logs', { q: '{service_name="bulk"}', from: 'now-1h', to: 'now' }));
  await page.locator('.log-row').first().waitFor();
  const list = page.locator('.vlist');
  for (let i = 0; i < 40; i++) {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(100);
    if ((await page.locator('.status').textContent()).startsWith('2500 lines')) break;
  }
  const status = await page.locator('.status').textContent();
  check(status.startsWith('2500 lines') && !status.includes('more as you scroll'), `paging stopped early: ${status}`);
  await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.waitForTimeout(200);
  const rendered = await page.locator('.log-row').count();
  check(rendered < 120, `virtual list rendered ${rendered} rows`);
  check((await page.locator('.log-row').last().textContent()).includes('bulk line 0 '), 'last (oldest) line missing after paging');
  // Metric query: a chart and a table.
  await page.goto(u('/ui/explore/logs', { q: 'sum by (level) (count_over_time({service_name="bulk"}[1m]))', from: 'now-1h', to: 'now' }));
  await page.locator('.chart canvas').first().waitFor({ timeout: 10000 });
  check((await page.locator('.series-table tbody tr').count()) >= 1, 'metric table empty');
  // Explore metrics by URL alone (PromQL; a constant needs no seeded series).
  await page.goto(u('/ui/explore/metrics', { q: 'vector(1) * 2', from: 'now-15m', to: 'now' }));
  await page.locator('.chart canvas').first().waitFor({ timeout: 10000 });
  check((await page.locator('.series-table tbody tr td:nth-child(2)').first().textContent()) === '2', 'PromQL result not shown');
  await page.goto(u('/ui/explore/metrics', { q: 'sum(', from: 'now-15m', to: 'now' }));
  await err.waitFor({ state: 'visible', timeout: 10000 });
  check((await err.textContent()).startsWith('400'), 'PromQL error not shown');

  // 7. The dark theme, via the toggle, then the planted line again.
  await page.goto(u('/ui/explore/logs', { q: `{service_name="checkout"} |= "${marker}"`, from: 'now-1h', to: 'now' }));
  await planted.first().waitFor();
  await page.locator('.theme-toggle').click();
  check((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'theme toggle');
  await page.screenshot({ path: `${outDir}/explore-logs-dark.png` });
  await assertInert('dark');

  // 8. The global box opens a pasted trace id.
  await page.fill('.goto-input', traceId.toUpperCase());
  await page.press('.goto-input', 'Enter');
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}$`));
  await page.locator('.wf-row').first().waitFor();
  // ... and so does a trace id pasted anywhere outside an input.
  await page.goto(u('/ui/explore/logs'));
  await page.evaluate((id) => {
    const dt = new DataTransfer();
    dt.setData('text', ` ${id}\n`);
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  }, traceId);
  await page.waitForURL(new RegExp(`/ui/trace/${traceId}$`));
  await page.locator('.wf-row').first().waitFor();
  await assertInert('end');
} catch (e) {
  failures.push(`exception: ${e && e.stack ? e.stack : e}`);
}

await session.finish({ steps });
