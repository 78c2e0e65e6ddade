// Unit tests of the UI's pure logic: URLs, time ranges, the trace tree and
// log lines. Run by `npm test` (test/run.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenStreams } from '../src/log_model';
import { formatPercentTicks, heatmapExtent, ratioRange } from '../src/red_model';
import { normalizeTraceId, parseRoute, traceHref, tracesHref } from '../src/routes';
import { formatDuration, parseTimeSpec, resolveRange } from '../src/time';
import { anyValueText, base64ToHex, parseTrace } from '../src/trace_model';

test('trace ids as typed or pasted', () => {
  const cases: Array<[string, string | null]> = [
    ['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['  4BF92F3577B34DA6A3CE929D0E0E4736\n', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['0xa3ce929d0e0e4736', '0000000000000000a3ce929d0e0e4736'],
    ['a3ce929d0e0e4736', '0000000000000000a3ce929d0e0e4736'],
    ['00000000000000000000000000000000', null],
    ['4bf92f3577b34da6a3ce929d0e0e47361', null], // 33 digits
    ['xyz', null],
    ['', null],
    ['<script>', null],
  ];
  for (const [text, want] of cases) assert.equal(normalizeTraceId(text), want, text);
});

test('routes', () => {
  const r = (path: string, search = '') => parseRoute({ pathname: path, search });
  assert.equal(r('/').view, 'traces');
  assert.equal(r('/ui/').view, 'traces');
  assert.equal(r('/ui/explore/traces', '?q=%7B%20%7D').params.get('q'), '{ }');
  assert.equal(r('/ui/explore/logs/').view, 'logs');
  assert.deepEqual([r('/ui/trace/ABC').view, r('/ui/trace/ABC').traceId], ['trace', 'abc']);
  assert.equal(r('/ui/nope').view, 'notfound');
  assert.equal(traceHref('ABC', '00f067aa0ba902b7'), '/ui/trace/00000000000000000000000000000abc?span=00f067aa0ba902b7');
  assert.equal(traceHref('abc', 'not-a-span'), '/ui/trace/00000000000000000000000000000abc');
  assert.throws(() => traceHref('javascript:alert(1)'));
  assert.equal(tracesHref({ q: '{ a = "b&c" }', from: 'now-1h', to: '' }), '/ui/explore/traces?q=%7B+a+%3D+%22b%26c%22+%7D&from=now-1h');
});

test('time specs', () => {
  const now = Date.UTC(2026, 0, 2, 15, 4, 5);
  const cases: Array<[string, number | null]> = [
    ['now', now],
    ['now-15m', now - 15 * 60e3],
    ['now-1h30m', now - 90 * 60e3],
    ['now-7d', now - 7 * 86400e3],
    ['2026-01-02T15:04:05Z', now],
    ['2026-01-02T16:04:05+01:00', now],
    ['1767366245', now],
    ['1767366245000', now],
    ['now-', null],
    ['now+5m', null],
    ['yesterday', null],
    ['2026-13-45T99:99:99Z', null],
  ];
  for (const [spec, want] of cases) assert.equal(parseTimeSpec(spec, now), want, spec);
  assert.deepEqual(resolveRange('now-1h', 'now', now), { fromMs: now - 3600e3, toMs: now });
  assert.match(resolveRange('now', 'now-1h', now) as string, /after its start/);
  assert.match(resolveRange('bogus', 'now', now) as string, /start time "bogus"/);
});

test('durations', () => {
  const cases: Array<[number, string]> = [
    [800, '800 ns'],
    [12_345, '12.3 µs'],
    [456_000_000, '456 ms'],
    [1_234_000_000, '1.23 s'],
    [123e9, '2m 3s'],
    [3 * 3600e9 + 60e9, '3h 1m'],
  ];
  for (const [ns, want] of cases) assert.equal(formatDuration(ns), want);
});

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const span = (id: string, parent: string, start: number, extra: Record<string, unknown> = {}) => ({
  spanId: b64(id),
  parentSpanId: parent ? b64(parent) : '',
  name: `span ${id.slice(-2)}`,
  kind: 'SPAN_KIND_SERVER',
  startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(start)),
  endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(start + 100)),
  ...extra,
});

test('trace tree: depth-first by start, orphans and cycles kept', () => {
  const json = {
    batches: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
        scopeSpans: [
          {
            scope: { name: 'lib', version: '1.0' },
            spans: [
              span('0000000000000003', '0000000000000001', 50),
              span('0000000000000002', '0000000000000001', 10, { status: { code: 'STATUS_CODE_ERROR', message: 'boom' } }),
              span('0000000000000001', '', 0),
              span('0000000000000004', '00000000000000ff', 5), // parent never received
              span('0000000000000005', '0000000000000006', 7), // cycle 5 <-> 6
              span('0000000000000006', '0000000000000005', 8),
            ],
          },
        ],
      },
    ],
  };
  const t = parseTrace(json);
  assert.deepEqual(
    t.spans.map((s) => [s.spanId.slice(-2), s.depth]),
    [['01', 0], ['02', 1], ['03', 1], ['04', 0], ['05', 0], ['06', 0]],
  );
  assert.equal(t.spans.length, 6, 'no span lost');
  assert.equal(t.errors, 1);
  assert.equal(t.byId.get('0000000000000002')!.statusMessage, 'boom');
  assert.equal(t.byId.get('0000000000000002')!.statusCode, 'error');
  assert.equal(t.spans[0].scope, 'lib 1.0');
  assert.equal(t.spans[0].kind, 'server');
  assert.deepEqual(t.services, ['api']);
  assert.equal(t.endNs - t.startNs, 150n);
});

test('attribute values as text', () => {
  const cases: Array<[unknown, string]> = [
    [{ stringValue: '<b>x</b>' }, '<b>x</b>'],
    [{ intValue: '42' }, '42'],
    [{ doubleValue: 1.5 }, '1.5'],
    [{ boolValue: false }, 'false'],
    [{ bytesValue: b64('00ff') }, '0x00ff'],
    [{ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }] } }, '[1, a]'],
    [{ kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } }, '{k: v}'],
    [null, ''],
  ];
  for (const [v, want] of cases) assert.equal(anyValueText(v), want);
  assert.equal(base64ToHex(b64('4bf92f3577b34da6')), '4bf92f3577b34da6');
});

test('log streams flattened, ordered, linked only by valid ids', () => {
  const result = [
    {
      stream: { service_name: 'a', trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736', span_id: '00f067aa0ba902b7', severity_text: 'ERROR' },
      values: [['3', 'three'], ['1', 'one']],
    },
    { stream: { service_name: 'b', trace_id: 'javascript:alert(1)', level: 'warn' }, values: [['2', 'two'], ['bad', 'skipped'], ['4']] },
  ];
  const newest = flattenStreams(result, true);
  assert.deepEqual(newest.map((e) => e.line), ['three', 'two', 'one']);
  assert.deepEqual(flattenStreams(result, false).map((e) => e.line), ['one', 'two', 'three']);
  assert.equal(newest[0].traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(newest[0].spanId, '00f067aa0ba902b7');
  assert.equal(newest[0].level, 'error');
  assert.equal(newest[1].traceId, '');
  assert.equal(newest[1].level, 'warn');
  assert.notEqual(newest[0].key, newest[2].key);
});

test('percent axis ticks carry only the decimals their spacing needs', () => {
  const cases: Array<[number[], string[]]> = [
    [[0, 0.005, 0.01], ['0%', '0.5%', '1%']],
    [[0, 0.0025, 0.005, 0.0075], ['0%', '0.25%', '0.5%', '0.75%']],
    [[0, 0.04, 0.08, 0.12], ['0%', '4%', '8%', '12%']],
    [[0, 0.25, 0.5, 0.75, 1], ['0%', '25%', '50%', '75%', '100%']],
    [[0.1, 0.2, 0.3], ['10%', '20%', '30%']], // 0.1 + 0.2 is not exactly 0.3
    [[0], ['0%']],
    [[0, 0.00002, 0.00004], ['0%', '0.002%', '0.004%']],
  ];
  for (const [vals, want] of cases) assert.deepEqual(formatPercentTicks(vals), want, String(vals));
});

test('ratio charts scale from 0 to just above their highest value', () => {
  assert.deepEqual(ratioRange(0), [0, 0.01]); // all zero: a flat line at 0%, not a 0..100 scale
  assert.deepEqual(ratioRange(null), [0, 0.01]);
  assert.deepEqual(ratioRange(Number.NaN), [0, 0.01]);
  assert.deepEqual(ratioRange(0.001), [0, 0.01]);
  const [lo, hi] = ratioRange(0.2);
  assert.equal(lo, 0);
  assert.ok(hi > 0.2 && hi < 0.25, String(hi));
  assert.deepEqual(ratioRange(0.99), [0, 1]);
});

test('heatmap columns cover (first - step, last]', () => {
  assert.deepEqual(heatmapExtent([100, 115, 130], 15), [85, 130]);
  assert.equal(heatmapExtent([], 15), null);
});
