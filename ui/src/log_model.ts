// Log lines from Loki-shaped answers (query_range "streams", and the links
// API's trace logs), flattened and time-ordered, and how one line renders in
// a row and in the details panel: text only; trace_id/span_id become links to
// the trace view only when they are valid hex ids.

import { appLink, clip, h } from './dom';
import { isSpanId, normalizeTraceId, traceHref } from './routes';
import { formatTime, nsToMs } from './time';

export interface LogEntry {
  tsNs: bigint;
  line: string;
  labels: Array<[string, string]>;
  traceId: string; // "" when absent or invalid
  spanId: string;
  level: string;
  key: string; // identity for de-duplication across pages
}

interface Stream {
  stream?: Record<string, unknown>;
  values?: unknown[];
}

const kLevelKeys = ['level', 'severity_text', 'detected_level', 'severity', 'lvl'];

export function flattenStreams(result: unknown, newestFirst: boolean): LogEntry[] {
  const out: LogEntry[] = [];
  for (const s of Array.isArray(result) ? (result as Stream[]) : []) {
    const labels: Array<[string, string]> = Object.entries(s.stream ?? {})
      .map(([k, v]): [string, string] => [k, String(v)])
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const get = (k: string) => labels.find(([n]) => n === k)?.[1] ?? '';
    const traceId = normalizeTraceId(get('trace_id') || get('traceID') || get('traceid')) ?? '';
    const spanRaw = (get('span_id') || get('spanID') || get('spanid')).toLowerCase();
    let level = '';
    for (const k of kLevelKeys) if ((level = get(k))) break;
    const labelKey = labels.map(([k, v]) => `${k}=${v}`).join('\u0000');
    for (const v of Array.isArray(s.values) ? s.values : []) {
      if (!Array.isArray(v) || v.length < 2) continue;
      let tsNs: bigint;
      try {
        tsNs = BigInt(String(v[0]));
      } catch {
        continue;
      }
      const line = String(v[1]);
      out.push({ tsNs, line, labels, traceId, spanId: isSpanId(spanRaw) ? spanRaw : '', level: level.toLowerCase(), key: `${tsNs}\u0000${labelKey}\u0000${line}` });
    }
  }
  out.sort((a, b) => (a.tsNs === b.tsNs ? 0 : (a.tsNs < b.tsNs) === newestFirst ? 1 : -1));
  return out;
}

function levelClass(level: string): string {
  if (/^(err|error|fatal|crit|critical|alert|emerg)/.test(level)) return 'lvl-error';
  if (/^warn/.test(level)) return 'lvl-warn';
  if (/^(debug|trace)/.test(level)) return 'lvl-debug';
  return 'lvl-info';
}

export function traceLink(e: LogEntry, text?: string): HTMLElement | null {
  if (!e.traceId) return null;
  return appLink(traceHref(e.traceId, e.spanId || undefined), text ?? `${e.traceId.slice(0, 8)}…`);
}

// One fixed-height row: time, level, service, trace link, the line (clipped;
// the whole line is in the details panel).
export function logRow(e: LogEntry, opts: { showService?: boolean; onSpan?: (spanId: string) => void } = {}): HTMLElement {
  const service = e.labels.find(([k]) => k === 'service_name' || k === 'service' || k === 'app' || k === 'job')?.[1] ?? '';
  let link: HTMLElement | null = null;
  if (opts.onSpan && e.spanId) {
    const spanId = e.spanId;
    link = h('button', { class: 'link-button', title: `span ${spanId}`, attrs: { type: 'button' }, on: { click: (ev) => { ev.stopPropagation(); opts.onSpan!(spanId); } } }, `span ${spanId.slice(0, 8)}…`);
  } else {
    link = traceLink(e);
    if (link) link.title = `trace ${e.traceId}${e.spanId ? ` span ${e.spanId}` : ''}`;
  }
  return h(
    'div',
    { class: 'log-row' },
    h('span', { class: 'log-time' }, formatTime(nsToMs(e.tsNs))),
    h('span', { class: `log-level ${levelClass(e.level)}` }, e.level || '—'),
    opts.showService !== false && service ? h('span', { class: 'chip chip-service' }, clip(service, 24)) : null,
    h('span', { class: 'log-link' }, link),
    h('span', { class: 'log-line' }, clip(e.line, 600)),
  );
}

export function labelChips(e: LogEntry): HTMLElement {
  return h('div', { class: 'chips' }, ...e.labels.map(([k, v]) => h('span', { class: 'chip', title: `${k}=${v}` }, h('span', { class: 'chip-key' }, k), '=', clip(v, 200))));
}

// The details of one line: whole text, every label and metadata field, links.
export function logDetails(e: LogEntry): HTMLElement {
  return h(
    'div',
    { class: 'log-details' },
    h('div', { class: 'muted' }, `${formatTime(nsToMs(e.tsNs))} · ${e.tsNs} ns`),
    h('pre', { class: 'log-full' }, e.line),
    labelChips(e),
    e.traceId ? h('div', null, 'Trace: ', traceLink(e, e.traceId), e.spanId ? ` span ${e.spanId}` : '') : null,
  );
}
