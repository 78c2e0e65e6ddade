// The pure logic of the service overview: which latency histogram a service's
// RED metrics come from (the SDK's http_server_request_duration_seconds or
// Tempo-style span metrics, found with /api/v1/series), the PromQL for rate,
// error ratio and percentiles, Prometheus matrix answers as numbers, the
// latency heatmap (per-bucket rates from the cumulative _bucket series) and
// exemplars placed on it. Everything here is sender data to be shown as text.

import { quoteLabel } from './routes';

export interface RedSource {
  kind: 'sdk' | 'spanmetrics';
  countMetric: string; // requests
  bucketMetric: string; // latency histogram buckets (seconds)
  serviceLabel: string;
  routeLabel: string;
  errorMatcher: string; // label matcher(s) selecting failed requests
  extraMatchers: string; // always applied (e.g. server spans only)
}

export const kSdkHistogram = 'http_server_request_duration_seconds';
export const kSpanCalls = 'traces_spanmetrics_calls_total';
export const kSpanLatency = 'traces_spanmetrics_latency';
const kServiceLabels = ['service_name', 'service', 'job'];

export type LabelSet = Record<string, string>;

// From the label sets of /api/v1/series?match[]=<sdk count>&match[]=<span
// calls>: the source to use (the SDK's own histogram when present) and the
// services it has.
export function detectSource(series: unknown): { source: RedSource; services: string[] }[] {
  const sets = (Array.isArray(series) ? series : []).filter((s): s is LabelSet => !!s && typeof s === 'object');
  const out: { source: RedSource; services: string[] }[] = [];
  const add = (name: string, make: (serviceLabel: string) => RedSource) => {
    const mine = sets.filter((s) => s.__name__ === name);
    if (!mine.length) return;
    const serviceLabel = kServiceLabels.find((l) => mine.some((s) => typeof s[l] === 'string')) ?? 'job';
    const services = [...new Set(mine.map((s) => s[serviceLabel]).filter((v): v is string => typeof v === 'string'))].sort();
    out.push({ source: make(serviceLabel), services });
  };
  add(`${kSdkHistogram}_count`, (serviceLabel) => ({
    kind: 'sdk',
    countMetric: `${kSdkHistogram}_count`,
    bucketMetric: `${kSdkHistogram}_bucket`,
    serviceLabel,
    routeLabel: sets.some((s) => s.__name__ === `${kSdkHistogram}_count` && 'http_route' in s) ? 'http_route' : 'route',
    errorMatcher: sets.some((s) => s.__name__ === `${kSdkHistogram}_count` && 'http_response_status_code' in s) ? 'http_response_status_code=~"5.."' : 'status=~"5.."',
    extraMatchers: '',
  }));
  add(kSpanCalls, (serviceLabel) => ({
    kind: 'spanmetrics',
    countMetric: kSpanCalls,
    bucketMetric: `${kSpanLatency}_bucket`,
    serviceLabel,
    // quartetd's span metrics add http_route (Tempo's have span_name only).
    routeLabel: sets.some((s) => s.__name__ === kSpanCalls && 'http_route' in s) ? 'http_route' : 'span_name',
    errorMatcher: 'status_code="STATUS_CODE_ERROR"',
    extraMatchers: 'span_kind="SPAN_KIND_SERVER"',
  }));
  return out;
}

function selector(src: RedSource, metric: string, service: string, route: string, extra = ''): string {
  const m = [`${src.serviceLabel}=${quoteLabel(service)}`];
  if (src.extraMatchers) m.push(src.extraMatchers);
  if (route) m.push(`${src.routeLabel}=${quoteLabel(route)}`);
  if (extra) m.push(extra);
  return `${metric}{${m.join(', ')}}`;
}

export interface RedQueries {
  rate: string;
  errors: string;
  p50: string;
  p95: string;
  p99: string;
  buckets: string; // per-le bucket rates, for the heatmap
  exemplars: string; // the selector query_exemplars takes
}

// PromQL for one service (and route, when given), grouped `by` the route
// label or not at all; `w` is the rate window ("5m").
export function redQueries(src: RedSource, service: string, route: string, w: string, byRoute: boolean): RedQueries {
  const by = byRoute ? ` by (${src.routeLabel})` : '';
  const byLe = byRoute ? ` by (le, ${src.routeLabel})` : ' by (le)';
  const count = selector(src, src.countMetric, service, route);
  const errors = selector(src, src.countMetric, service, route, src.errorMatcher);
  const bucket = selector(src, src.bucketMetric, service, route);
  const q = (p: number) => `histogram_quantile(${p}, sum${byLe} (rate(${bucket}[${w}])))`;
  return {
    rate: `sum${by} (rate(${count}[${w}]))`,
    // Routes with no errors have no error series: "or" fills in a zero.
    errors: `(sum${by} (rate(${errors}[${w}])) or sum${by} (rate(${count}[${w}])) * 0) / sum${by} (rate(${count}[${w}]))`,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    buckets: `sum by (le) (rate(${bucket}[${w}]))`,
    exemplars: bucket,
  };
}

export interface Series {
  labels: LabelSet;
  points: Array<[number, number]>; // [unix seconds, value]
}

// A Prometheus "matrix" (or "vector") result as series of numbers.
export function parseResult(result: unknown): Series[] {
  if (!Array.isArray(result)) return [];
  const out: Series[] = [];
  for (const s of result as Array<{ metric?: unknown; values?: unknown; value?: unknown }>) {
    const labels: LabelSet = {};
    if (s?.metric && typeof s.metric === 'object') for (const [k, v] of Object.entries(s.metric)) labels[k] = String(v);
    const raw = Array.isArray(s?.values) ? s.values : Array.isArray(s?.value) ? [s.value] : [];
    const points: Array<[number, number]> = [];
    for (const p of raw) {
      if (!Array.isArray(p) || p.length < 2) continue;
      const t = Number(p[0]);
      const v = Number(p[1]);
      if (Number.isFinite(t)) points.push([t, v]);
    }
    out.push({ labels, points });
  }
  return out;
}

export interface Heatmap {
  times: number[]; // unix seconds, ascending
  bounds: number[]; // bucket upper bounds (seconds), ascending; last may be +Inf
  // counts[t * bounds.length + b]: requests per second in bucket b at times[t]
  counts: Float64Array;
  max: number;
}

// Cumulative per-`le` rate series -> per-bucket rates (differences of
// neighbouring le's, clamped at zero where counter resets make them negative).
export function heatmapFromBuckets(series: Series[]): Heatmap | null {
  const byLe = series
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s }))
    .filter((x) => !Number.isNaN(x.le))
    .sort((a, b) => a.le - b.le);
  if (!byLe.length) return null;
  const times = [...new Set(byLe.flatMap((x) => x.s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const tIndex = new Map(times.map((t, i) => [t, i]));
  const nb = byLe.length;
  const cum = new Float64Array(times.length * nb).fill(NaN);
  byLe.forEach((x, b) => {
    for (const [t, v] of x.s.points) cum[tIndex.get(t)! * nb + b] = v;
  });
  const counts = new Float64Array(times.length * nb);
  let max = 0;
  for (let t = 0; t < times.length; t++) {
    let prev = 0;
    for (let b = 0; b < nb; b++) {
      const c = cum[t * nb + b];
      if (!Number.isFinite(c)) continue;
      const v = Math.max(0, c - prev);
      counts[t * nb + b] = v;
      if (v > max) max = v;
      prev = Math.max(prev, c);
    }
  }
  return { times, bounds: byLe.map((x) => x.le), counts, max };
}

// The bucket holding a latency (seconds): the first whose bound is >= it.
export function bucketOf(bounds: number[], seconds: number): number {
  for (let i = 0; i < bounds.length; i++) if (seconds <= bounds[i]) return i;
  return bounds.length - 1;
}

export interface Exemplar {
  traceId: string;
  spanId: string;
  value: number; // seconds
  time: number; // unix seconds
  labels: LabelSet;
}

// /api/v1/query_exemplars data: [{seriesLabels, exemplars: [{labels, value, timestamp}]}].
export function parseExemplars(data: unknown): Exemplar[] {
  const out: Exemplar[] = [];
  if (!Array.isArray(data)) return out;
  for (const s of data as Array<{ exemplars?: unknown }>) {
    if (!Array.isArray(s?.exemplars)) continue;
    for (const e of s.exemplars as Array<{ labels?: Record<string, unknown>; value?: unknown; timestamp?: unknown }>) {
      const labels: LabelSet = {};
      for (const [k, v] of Object.entries(e?.labels ?? {})) labels[k] = String(v);
      const value = Number(e?.value);
      const time = Number(e?.timestamp);
      if (!Number.isFinite(value) || !Number.isFinite(time)) continue;
      out.push({ traceId: labels.trace_id ?? labels.traceID ?? '', spanId: labels.span_id ?? labels.spanID ?? '', value, time, labels });
    }
  }
  return out;
}

// The rate window for charts with points every `stepS` seconds: four steps,
// at least a minute, so a 15 s scrape interval still has points in it.
export function rateWindow(stepS: number): string {
  return `${Math.max(60, Math.ceil(4 * stepS))}s`;
}

export function autoStep(fromMs: number, toMs: number, points = 120): number {
  return Math.max(15, Math.ceil((toMs - fromMs) / 1000 / points));
}

// "1.2k req/s", "12.5%", "340 ms".
export function formatRate(v: number): string {
  if (!Number.isFinite(v)) return '—';
  return v >= 1000 ? `${(v / 1000).toFixed(1)}k/s` : v >= 10 ? `${v.toFixed(1)}/s` : `${v.toFixed(3)}/s`;
}

export function formatRatio(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(v >= 0.1 ? 1 : 2)}%` : '—';
}

// Axis labels of a ratio scale as percentages with as many decimals as the
// tick spacing needs and no more: 0%, 0.5%, 1% or 0%, 25%, 50%.
export function formatPercentTicks(vals: number[]): string[] {
  let step = Infinity;
  for (let i = 1; i < vals.length; i++) {
    const d = Math.abs(vals[i] - vals[i - 1]);
    if (d > 0 && d < step) step = d;
  }
  const pct = Number.isFinite(step) ? step * 100 : 1;
  let decimals = 0;
  while (decimals < 4 && Math.abs(pct * 10 ** decimals - Math.round(pct * 10 ** decimals)) > 1e-6) decimals++;
  return vals.map((v) => {
    if (!Number.isFinite(v)) return '';
    const s = (v * 100).toFixed(decimals);
    const trimmed = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
    return `${trimmed === '-0' ? '0' : trimmed}%`;
  });
}

// The y range of a ratio chart: from 0 to a little above the highest value,
// never above 100% and at least 1% (an all-zero series is a flat line at 0,
// not a scale to 100 with the line on the floor).
export function ratioRange(max: number | null): [number, number] {
  if (max === null || !Number.isFinite(max) || max <= 0) return [0, 0.01];
  return [0, Math.min(1, Math.max(0.01, max * 1.15))];
}

// The time extent (unix seconds) a heatmap's columns cover: the column at
// times[t] holds (times[t] - step, times[t]]. Exemplars outside it have no
// column to sit on and are not drawn.
export function heatmapExtent(times: number[], stepS: number): [number, number] | null {
  return times.length ? [times[0] - stepS, times[times.length - 1]] : null;
}

export function formatSeconds(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v >= 1) return `${v.toFixed(2)} s`;
  if (v >= 0.001) return `${(v * 1000).toFixed(v >= 0.1 ? 0 : 1)} ms`;
  return `${(v * 1e6).toFixed(0)} µs`;
}

// TraceQL for the traces of one heatmap cell: the service's server spans
// with a duration inside the bucket (lower bound exclusive, as `le` is).
export function bucketTraceQl(service: string, route: string, lower: number, upper: number): string {
  const parts = [`resource.service.name = ${quoteLabel(service)}`, 'kind = server'];
  if (route) parts.push(`span.http.route = ${quoteLabel(route)}`);
  if (lower > 0) parts.push(`duration > ${durationLiteral(lower)}`);
  if (Number.isFinite(upper)) parts.push(`duration <= ${durationLiteral(upper)}`);
  return `{ ${parts.join(' && ')} }`;
}

function durationLiteral(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  return us % 1000 === 0 ? `${us / 1000}ms` : `${us}us`;
}
