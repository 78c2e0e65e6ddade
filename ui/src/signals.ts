// Fetches shared by the overview and the incident page: deploy/migration
// annotations (Grafana's GET /api/annotations, epoch ms), alert states
// (Prometheus's GET /api/v1/alerts), the RED source of the metric store and
// the RED charts of one service. Endpoints that this server does not have
// (404) come back as `null`, so the views say "not available" instead of
// failing: quartetd gains them one at a time.

import { ApiError, getJson, isAbort } from './api';
import { h } from './dom';
import { overviewHref } from './routes';
import { detectSource, formatRate, formatRatio, formatSeconds, kSdkHistogram, kSpanCalls, parseResult, redQueries, type RedSource, type Series } from './red_model';
import { isoTime, type Range } from './time';
import type { Marker } from './charts';

export interface Annotation {
  id: number;
  timeMs: number;
  endMs: number;
  tags: string[];
  text: string;
}

const secs = (ms: number) => String(ms / 1000);

// null when the server has no annotations API.
export async function fetchAnnotations(range: Range, signal: AbortSignal): Promise<Annotation[] | null> {
  try {
    const a = await getJson<unknown>('/api/annotations', { from: String(Math.floor(range.fromMs)), to: String(Math.ceil(range.toMs)), limit: '200' }, signal);
    if (!Array.isArray(a)) return [];
    return a
      .map((x: Record<string, unknown>) => ({
        id: Number(x?.id),
        timeMs: Number(x?.time),
        endMs: Number(x?.timeEnd ?? x?.time),
        tags: Array.isArray(x?.tags) ? x.tags.map(String) : [],
        text: typeof x?.text === 'string' ? x.text : '',
      }))
      .filter((x) => Number.isFinite(x.timeMs))
      .sort((p, q) => p.timeMs - q.timeMs);
  } catch (e) {
    if (!isAbort(e) && e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

// Annotations as chart markers: a click opens the overview of the window
// that starts at the annotation and is as long as the current one.
export function annotationMarkers(list: Annotation[], range: Range, service: string): Marker[] {
  const len = range.toMs - range.fromMs;
  return list.map((a) => ({
    timeMs: a.timeMs,
    text: [a.text, a.tags.length ? `[${a.tags.join(', ')}]` : ''].filter(Boolean).join(' '),
    href: overviewHref({ service: service || undefined, from: isoTime(a.timeMs), to: isoTime(a.timeMs + len) }),
  }));
}

export interface Alert {
  name: string;
  state: string;
  activeAtMs: number;
  labels: Record<string, string>;
  summary: string;
  value: string;
}

// null when the server has no alerts API.
export async function fetchAlerts(signal: AbortSignal): Promise<Alert[] | null> {
  try {
    const a = await getJson<{ data?: { alerts?: unknown } }>('/api/v1/alerts', {}, signal);
    const list = Array.isArray(a.data?.alerts) ? (a.data.alerts as Array<Record<string, unknown>>) : [];
    return list.map((x) => {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries((x?.labels as object) ?? {})) labels[k] = String(v);
      const ann = (x?.annotations as Record<string, unknown>) ?? {};
      return {
        name: labels.alertname ?? '(unnamed)',
        state: String(x?.state ?? ''),
        activeAtMs: Date.parse(String(x?.activeAt ?? '')),
        labels,
        summary: String(ann.summary ?? ann.description ?? ''),
        value: String(x?.value ?? ''),
      };
    });
  } catch (e) {
    if (!isAbort(e) && e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export interface Sources {
  all: { source: RedSource; services: string[] }[];
}

export async function fetchSources(range: Range, signal: AbortSignal): Promise<Sources> {
  const a = await getJson<{ data?: unknown }>(
    '/api/v1/series',
    { 'match[]': `${kSdkHistogram}_count`, start: secs(range.fromMs), end: secs(range.toMs) },
    signal,
  );
  // Two match[] need a hand-built query string (getJson takes one value per key).
  const b = await getJson<{ data?: unknown }>(`/api/v1/series?match[]=${encodeURIComponent(kSpanCalls)}&start=${secs(range.fromMs)}&end=${secs(range.toMs)}`, {}, signal);
  const sets = [...(Array.isArray(a.data) ? a.data : []), ...(Array.isArray(b.data) ? b.data : [])];
  return { all: detectSource(sets) };
}

// The source holding `service`, the SDK's histogram first.
export function sourceFor(s: Sources, service: string): RedSource | null {
  return s.all.find((x) => x.services.includes(service))?.source ?? null;
}

export async function rangeQuery(query: string, range: Range, stepS: number, signal: AbortSignal): Promise<Series[]> {
  const a = await getJson<{ data?: { result?: unknown } }>('/api/v1/query_range', { query, start: secs(range.fromMs), end: secs(range.toMs), step: `${stepS}s` }, signal);
  return parseResult(a.data?.result);
}

export async function instantQuery(query: string, timeMs: number, signal: AbortSignal): Promise<Series[]> {
  const a = await getJson<{ data?: { result?: unknown } }>('/api/v1/query', { query, time: secs(timeMs) }, signal);
  return parseResult(a.data?.result);
}

// Rate, error ratio and p50/p95/p99 charts of one service (or route).
export async function redCharts(
  el: HTMLElement,
  src: RedSource,
  service: string,
  route: string,
  range: Range,
  stepS: number,
  w: string,
  markers: Marker[],
  signal: AbortSignal,
  shade?: Range,
): Promise<void> {
  const q = redQueries(src, service, route, w, false);
  const [charts, rate, errors, p50, p95, p99] = await Promise.all([
    import('./charts'),
    rangeQuery(q.rate, range, stepS, signal),
    rangeQuery(q.errors, range, stepS, signal),
    rangeQuery(q.p50, range, stepS, signal),
    rangeQuery(q.p95, range, stepS, signal),
    rangeQuery(q.p99, range, stepS, signal),
  ]);
  const named = (name: string, s: Series[]) => s.map((x) => ({ ...x, labels: { ...x.labels, __q: name } }));
  el.append(
    h(
      'div',
      { class: 'chart-grid' },
      charts.timeChart({ title: 'Requests per second', series: named('rate', rate), labelOf: () => 'req/s', format: formatRate, range, markers, shade }),
      charts.timeChart({ title: 'Error ratio (5xx / errors)', series: named('errors', errors), labelOf: () => 'errors', format: formatRatio, range, markers, shade, ratio: true }),
      charts.timeChart({
        title: 'Latency percentiles',
        series: [...named('p50', p50), ...named('p95', p95), ...named('p99', p99)],
        labelOf: (s) => s.labels.__q,
        format: formatSeconds,
        range,
        markers,
        shade,
      }),
    ),
  );
}
