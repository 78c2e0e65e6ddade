// The URL of every view: a link opens exactly that view, with no other state.
//   /ui/explore/traces?q=<TraceQL>&from=now-1h&to=now&limit=20&sort=start&desc=1
//   /ui/trace/<32 hex>?span=<16 hex>
//   /ui/explore/logs?q=<LogQL>&from=now-1h&to=now&dir=backward&line=<ts ns>
//   /ui/explore/metrics?q=<PromQL>&from=now-1h&to=now&step=30s
//   /ui/overview?service=<name>&route=<route>&from=now-1h&to=now
//   /ui/profiles?query=<type>{labels}&from&to[&span_id=<16 hex>]
//                [&diff_from&diff_to (the baseline window)][&search=][&focus=]
//   /ui/incident?service=<name>&from&to  or  /ui/incident?alert=<name>
// `/` opens Explore traces.

export type ViewName = 'traces' | 'trace' | 'logs' | 'metrics' | 'overview' | 'profiles' | 'incident' | 'notfound';

export interface Route {
  view: ViewName;
  traceId?: string;
  params: URLSearchParams;
}

const kTraceId = /^[0-9a-f]{1,32}$/;
const kSpanId = /^[0-9a-f]{16}$/;

export function parseRoute(loc: { pathname: string; search: string }): Route {
  const params = new URLSearchParams(loc.search);
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/ui' || path === '/ui/explore/traces') return { view: 'traces', params };
  if (path === '/ui/explore/logs') return { view: 'logs', params };
  if (path === '/ui/explore/metrics') return { view: 'metrics', params };
  if (path === '/ui/overview') return { view: 'overview', params };
  if (path === '/ui/profiles') return { view: 'profiles', params };
  if (path === '/ui/incident') return { view: 'incident', params };
  const m = /^\/ui\/trace\/([^/]+)$/.exec(path);
  if (m) return { view: 'trace', traceId: decodeURIComponent(m[1]).toLowerCase(), params };
  return { view: 'notfound', params };
}

// A trace id as typed or pasted (hex, optional 0x, spaces around), normalised
// to 32 lowercase digits, or null.
export function normalizeTraceId(text: string): string | null {
  let s = text.trim().toLowerCase();
  if (s.startsWith('0x')) s = s.slice(2);
  if (!kTraceId.test(s) || /^0+$/.test(s)) return null;
  return s.padStart(32, '0');
}

export function isSpanId(s: string): boolean {
  return kSpanId.test(s);
}

function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function traceHref(traceId: string, spanId?: string): string {
  const id = normalizeTraceId(traceId);
  if (!id) throw new Error('invalid trace id');
  return withQuery(`/ui/trace/${id}`, { span: spanId && isSpanId(spanId) ? spanId : undefined });
}

export function tracesHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/explore/traces', p);
}

export function logsHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/explore/logs', p);
}

export function metricsHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/explore/metrics', p);
}

export function overviewHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/overview', p);
}

export function profilesHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/profiles', { ...p, span_id: p.span_id && isSpanId(p.span_id) ? p.span_id : undefined });
}

export function incidentHref(p: Record<string, string | undefined>): string {
  return withQuery('/ui/incident', p);
}

// The Pyroscope profile type the SDK and most agents send CPU samples as.
export const kCpuProfileType = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

// A label value inside a PromQL/TraceQL/Pyroscope double-quoted string.
export function quoteLabel(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
