// Unit tests of the pure logic behind the overview, profiles and incident
// views: flamebearer decoding, top table, sandwich, search; RED source
// detection, PromQL building, heatmap buckets, exemplars; the incident
// report reader. Run by `npm test` (test/run.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTicks, levels, matchedShare, nodeAt, parseFlamebearer, sandwich, searchNames, shareChange, sortTop, topTable, type Flame } from '../src/flame_model';
import { describePath, parseReport, safePath, timeMs } from '../src/incident_model';
import { bucketOf, bucketTraceQl, detectSource, heatmapFromBuckets, parseExemplars, parseResult, redQueries } from '../src/red_model';
import { parseRoute, profilesHref, quoteLabel } from '../src/routes';

// main (10) -> a (6: self 1) -> c (5), main -> b (4: self 2) -> c (2); c recursion under a: c -> c (3).
const kNames = ['total', 'main', 'a', 'b', 'c'];
const kSingle = {
  flamebearer: {
    names: kNames,
    numTicks: 10,
    levels: [
      [0, 10, 0, 0],
      [0, 10, 0, 1],
      [0, 6, 1, 2, 0, 4, 2, 3],
      [0, 5, 2, 4, 1, 2, 2, 4], // c at x=0 (under a), c at x=6 (delta 1 after a's end 5, under b)
      [0, 3, 3, 4], // c under c
    ],
  },
  metadata: { format: 'single', units: 'samples' },
};

function flame(json: unknown): Flame {
  const f = parseFlamebearer(json);
  if (typeof f === 'string') throw new Error(f);
  return f;
}

test('flamebearer single format: delta offsets and parents', () => {
  const f = flame(kSingle);
  assert.equal(levels(f), 5);
  assert.equal(f.numTicks, 10);
  assert.deepEqual([...f.x], [0, 0, 0, 6, 0, 6, 0]);
  assert.deepEqual([...f.parent], [-1, 0, 1, 1, 2, 3, 4]);
  assert.equal(nodeAt(f, 2, 7), 3); // b
  assert.equal(nodeAt(f, 3, 5.5), -1); // the gap between the two c's
  assert.equal(nodeAt(f, 9, 0), -1);
});

test('units: CPU nanoseconds reported as "samples"', () => {
  const f = flame({ flamebearer: { names: ['total'], levels: [[0, 2.5e9, 2.5e9, 0]], numTicks: 2.5e9 }, metadata: { format: 'single', units: 'samples', name: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds' } });
  assert.equal(f.unit, 'nanoseconds');
  assert.equal(formatTicks(f, 2.5e9), '2.50 s');
  assert.equal(formatTicks(flame(kSingle), 12345), '12.3k');
});

test('flamebearer errors name the problem', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /no flamebearer/],
    [{ flamebearer: { names: [], levels: [[0, 1, 0]] } }, /multiple of 4/],
    [{ flamebearer: { names: ['x'], levels: [[0, 1, 0, 7]] } }, /names no entry/],
    [{ flamebearer: { names: ['x'], levels: [[0, -1, 0, 0]] } }, /not a count/],
    [{ flamebearer: { names: ['x'], levels: [[0, 1, 0, 0, 0, 1, 0]] }, metadata: { format: 'double' } }, null as unknown as RegExp],
  ];
  for (const [json, want] of cases) {
    const f = parseFlamebearer(json);
    if (want) assert.match(String(f), want);
    else assert.notEqual(typeof f, 'string');
  }
});

test('top table counts recursion once in total', () => {
  const f = flame(kSingle);
  const rows = new Map(topTable(f).map((r) => [r.name, r]));
  assert.deepEqual([rows.get('c')!.self, rows.get('c')!.total], [7, 7]); // 2 + 2 + 3 self; 5 + 2 total
  assert.deepEqual([rows.get('a')!.self, rows.get('a')!.total], [1, 6]);
  assert.deepEqual(sortTop(topTable(f), 'self').map((r) => r.name).slice(0, 2), ['c', 'b']);
  assert.deepEqual(sortTop(topTable(f), 'name', false).map((r) => r.name)[0], 'a');
});

test('search marks names and the share they cover', () => {
  const f = flame(kSingle);
  const m = searchNames(f, 'C');
  assert.deepEqual([...m], [0, 0, 0, 0, 1]);
  assert.equal(matchedShare(f, m), 0.7);
  assert.equal(matchedShare(f, searchNames(f, '')), 0);
});

test('sandwich merges callers and callees of a function', () => {
  const f = flame(kSingle);
  const s = sandwich(f, 4);
  // Callees: c (7) -> c (3).
  assert.equal(s.callees.numTicks, 7);
  assert.deepEqual([...s.callees.name].map((i) => kNames[i]), ['c', 'c']);
  // Callers: c (7) <- a (5) <- main (5) <- total, and <- b (2) <- main <- total.
  assert.equal(s.callers.numTicks, 7);
  const byLevel = (g: Flame, L: number) => [...g.name.slice(g.levelStart[L], g.levelStart[L + 1])].map((i) => kNames[i]);
  assert.deepEqual(byLevel(s.callers, 1), ['a', 'b']);
  assert.deepEqual(byLevel(s.callers, 2), ['main', 'main']);
});

test('diff format: widths add both sides, share change', () => {
  const f = flame({
    flamebearer: { names: ['total', 'scan', 'idx'], numTicks: 40, levels: [[0, 10, 0, 0, 30, 0, 0], [0, 8, 8, 0, 6, 6, 2, 0, 2, 2, 0, 24, 24, 1]] },
    metadata: { format: 'double' },
    leftTicks: 10,
    rightTicks: 30,
  });
  assert.ok(f.diff);
  assert.equal(f.total[0], 40);
  // idx: 8 of 10 before, 6 of 30 after -> -0.6; scan: 2/10 -> 24/30 -> +0.6
  assert.ok(Math.abs(shareChange(f, 1) + 0.6) < 1e-9);
  assert.ok(Math.abs(shareChange(f, 2) - 0.6) < 1e-9);
  assert.equal(f.x[2], 8 + 6);
  // The top table of a diff: the compared window's figures and the change.
  const rows = new Map(topTable(f).map((r) => [r.name, r]));
  assert.deepEqual([rows.get('scan')!.self, rows.get('scan')!.total], [24, 24]);
  assert.ok(Math.abs(rows.get('idx')!.selfChange! + 0.6) < 1e-9);
});

test('RED source detection prefers the SDK histogram and finds the service label', () => {
  const got = detectSource([
    { __name__: 'http_server_request_duration_seconds_count', service_name: 'checkout', route: '/checkout', status: '200' },
    { __name__: 'http_server_request_duration_seconds_count', service_name: 'cart', route: '/cart', status: '500' },
    { __name__: 'traces_spanmetrics_calls_total', service: 'edge', span_name: 'GET /' },
  ]);
  assert.equal(got.length, 2);
  assert.equal(got[0].source.kind, 'sdk');
  assert.deepEqual(got[0].services, ['cart', 'checkout']);
  assert.equal(got[0].source.serviceLabel, 'service_name');
  assert.equal(got[1].source.kind, 'spanmetrics');
  assert.equal(got[1].source.serviceLabel, 'service');
  assert.deepEqual(detectSource('nonsense'), []);
  const q = redQueries(got[0].source, 'check"out', '/checkout', '5m', true);
  assert.equal(q.rate, 'sum by (route) (rate(http_server_request_duration_seconds_count{service_name="check\\"out", route="/checkout"}[5m]))');
  assert.match(q.p99, /^histogram_quantile\(0\.99, sum by \(le, route\) \(rate\(http_server_request_duration_seconds_bucket\{/);
  assert.match(q.errors, /status=~"5\.\."/);
  assert.match(redQueries(got[1].source, 'edge', '', '1m', false).rate, /span_kind="SPAN_KIND_SERVER"/);
  assert.equal(got[1].source.routeLabel, 'span_name');
  assert.equal(detectSource([{ __name__: 'traces_spanmetrics_calls_total', service: 'a', http_route: '/x' }])[0].source.routeLabel, 'http_route');
});

test('heatmap: per-bucket rates from cumulative le series', () => {
  const series = parseResult([
    { metric: { le: '+Inf' }, values: [[100, '10'], [115, '12']] },
    { metric: { le: '0.1' }, values: [[100, '6'], [115, '2']] },
    { metric: { le: '0.5' }, values: [[100, '9'], [115, '1']] }, // below 0.1's: clamped to 0
    { metric: { le: 'junk' }, values: [[100, '1']] },
  ]);
  const hm = heatmapFromBuckets(series)!;
  assert.deepEqual(hm.bounds, [0.1, 0.5, Infinity]);
  assert.deepEqual(hm.times, [100, 115]);
  assert.deepEqual([...hm.counts], [6, 3, 1, 2, 0, 10]);
  assert.equal(hm.max, 10);
  assert.equal(heatmapFromBuckets([]), null);
  assert.deepEqual([bucketOf(hm.bounds, 0.1), bucketOf(hm.bounds, 0.2), bucketOf(hm.bounds, 9)], [0, 1, 2]);
});

test('exemplars and the TraceQL of a heatmap cell', () => {
  const ex = parseExemplars([
    { seriesLabels: {}, exemplars: [{ labels: { trace_id: 'abc', span_id: 'def' }, value: '0.25', timestamp: 1700000000.5 }, { labels: {}, value: 'x', timestamp: 1 }] },
    'junk',
  ]);
  assert.equal(ex.length, 1);
  assert.deepEqual([ex[0].traceId, ex[0].spanId, ex[0].value, ex[0].time], ['abc', 'def', 0.25, 1700000000.5]);
  assert.equal(bucketTraceQl('checkout', '/checkout', 0.1, 0.25), '{ resource.service.name = "checkout" && kind = server && span.http.route = "/checkout" && duration > 100ms && duration <= 250ms }');
  assert.equal(bucketTraceQl('a', '', 0, Infinity), '{ resource.service.name = "a" && kind = server }');
  assert.equal(bucketTraceQl('a', '', 0.0005, 0.0025), '{ resource.service.name = "a" && kind = server && duration > 500us && duration <= 2500us }');
});

test('incident report reader', () => {
  const r = parseReport({
    service: 'checkout',
    window: { from: 1700000000, to: '2023-11-14T22:23:20Z' },
    baseline: { from: 1699999000000, to: 1700000000000 },
    onset: '1700000100',
    broken: [{ summary: 'p99 <b>up</b>', signal: 'latency', subject: { route: '/checkout' }, baseline: 0.02, incident: 1.5, unit: 's', score: 0.9, links: ['/ui/overview?service=checkout', '//evil.example/x', 'javascript:alert(1)', { url: '/api/v1/query?query=up', title: 'PromQL' }] }],
    who: 'nope',
  });
  assert.notEqual(typeof r, 'string');
  if (typeof r === 'string') return;
  assert.deepEqual(r.windowMs, [1700000000000, 1700000600000]);
  assert.equal(r.onsetMs, 1700000100000);
  assert.equal(r.broken[0].summary, 'p99 <b>up</b>');
  assert.deepEqual(r.broken[0].subject, [['route', '/checkout']]);
  assert.deepEqual(
    r.broken[0].links.map((l) => [l.href, l.app]),
    [
      ['/ui/overview?service=checkout', true],
      ['/api/v1/query?query=up', false],
    ],
  );
  assert.deepEqual(r.who, []);
  assert.match(String(parseReport([])), /not a JSON object/);
  assert.match(String(parseReport({ service: 'x' })), /none of broken/);
  assert.equal(safePath('/a b'), null);
  assert.equal(safePath('/\\evil'), null);
  assert.equal(timeMs(1.7e18), 1.7e12);
  assert.equal(r.broken[0].links[1].label, 'PromQL');
  assert.equal(r.broken[0].links[0].label, 'Overview');
  const paths: Array<[string, string]> = [
    ['/ui/trace/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba90201', 'Trace 4bf92f35…'],
    ['/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736/logs', 'Logs of trace 4bf92f35… (API)'],
    ['/ui/explore/traces?q=x', 'Traces'],
    ['/api/search?q=x', 'Trace search (API)'],
    ['/api/v1/alerts', 'Alerts (API)'],
    ['/somewhere/else?x', '/somewhere/else'],
  ];
  for (const [href, want] of paths) assert.equal(describePath(href), want, href);
});

test('new routes and their URLs', () => {
  const r = (path: string, search = '') => parseRoute({ pathname: path, search });
  assert.equal(r('/ui/overview', '?service=a').view, 'overview');
  assert.equal(r('/ui/profiles/').view, 'profiles');
  assert.equal(r('/ui/incident', '?alert=x').params.get('alert'), 'x');
  assert.equal(profilesHref({ query: 'q{a="b"}', span_id: 'nothex' }), '/ui/profiles?query=q%7Ba%3D%22b%22%7D');
  assert.match(profilesHref({ query: 'q', span_id: '00f067aa0ba90201' }), /span_id=00f067aa0ba90201$/);
  assert.equal(quoteLabel('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});
