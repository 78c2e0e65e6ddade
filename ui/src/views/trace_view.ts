// The trace view, by id alone (no time range): a waterfall of every span
// (service colours, durations, errors marked), the selected span's details
// (attributes, resource, events, links, status) with its own log lines, and
// all log lines of the trace. State in the URL: /ui/trace/<id>?span=<id>.

import { ApiError, getJson, isAbort } from '../api';
import { appLink, clear, clip, errorBox, h, serviceColor } from '../dom';
import { flattenStreams, logDetails, logRow, type LogEntry } from '../log_model';
import { isSpanId, kCpuProfileType, logsHref, normalizeTraceId, profilesHref, quoteLabel, traceHref, type Route } from '../routes';
import { formatDuration, formatTime, isoTime, nsToMs } from '../time';
import { parseTrace, type KeyValue, type Span, type Trace } from '../trace_model';
import { VirtualList } from '../virtual_list';
import type { AppContext, View } from '../view';

const kRowHeight = 24;
const kLogLimit = 1000;

interface LogsAnswer {
  data?: { result?: unknown };
}

export function traceView(route: Route, app: AppContext): View {
  const id = normalizeTraceId(route.traceId ?? '');
  const err = errorBox();
  const title = h('h1', null, 'Trace ', h('code', null, id ?? route.traceId ?? ''));
  const summary = h('div', { class: 'trace-summary' });
  const waterfall = h('div', { class: 'waterfall' });
  const panel = h('aside', { class: 'panel', attrs: { 'aria-label': 'Span details' } });
  panel.hidden = true;
  const logsSection = h('section', { class: 'trace-logs' }, h('h2', null, 'Log lines of this trace'));
  const el = h('section', { class: 'view view-trace' }, title, err.el, summary, h('div', { class: 'split' }, waterfall, panel), logsSection);
  const abort = new AbortController();
  let trace: Trace | null = null;
  let list: Waterfall | null = null;
  let selected = '';
  let panelAbort: AbortController | null = null;

  const select = (spanId: string, push: boolean) => {
    if (!id) return;
    const href = traceHref(id, spanId || undefined);
    if (push) app.navigate(href, { replace: true });
    showSpan(spanId);
  };

  const showSpan = (spanId: string) => {
    selected = spanId;
    panelAbort?.abort();
    clear(panel);
    const span = trace?.byId.get(spanId);
    if (!span || !trace) {
      panel.hidden = true;
      list?.list.render();
      return;
    }
    panel.hidden = false;
    panelAbort = new AbortController();
    if (list) list.reveal(span);
    renderSpanDetails(panel, trace, span, id!, panelAbort.signal, () => select('', true));
  };

  const load = async () => {
    if (!id) return err.show(`"${route.traceId}" is not a trace id (want 1 to 32 hex digits)`);
    try {
      const [json, logs] = await Promise.all([
        getJson<unknown>(`/api/traces/${id}`, {}, abort.signal),
        getJson<LogsAnswer>(`/api/v1/traces/${id}/logs`, { limit: String(kLogLimit) }, abort.signal).catch((e) => {
          if (isAbort(e)) throw e;
          return { error: e } as LogsAnswer & { error: unknown };
        }),
      ]);
      trace = parseTrace(json);
      renderSummary(summary, trace);
      list = renderWaterfall(waterfall, trace, (s) => select(s.spanId, true));
      renderTraceLogs(logsSection, logs, (spanId) => select(spanId, true));
      const want = route.params.get('span') ?? '';
      if (isSpanId(want)) showSpan(want);
    } catch (e) {
      if (isAbort(e)) return;
      err.show(e instanceof ApiError && e.status === 404 ? `Trace ${id} was not found.` : e instanceof ApiError ? e.message : String(e));
    }
  };
  void load();

  return {
    el,
    update(next: Route) {
      if (normalizeTraceId(next.traceId ?? '') !== id) return false;
      const want = next.params.get('span') ?? '';
      if (trace && want !== selected) showSpan(isSpanId(want) ? want : '');
      return true;
    },
    closePanel() {
      if (panel.hidden) return false;
      select('', true);
      return true;
    },
    destroy() {
      abort.abort();
      panelAbort?.abort();
    },
  };
}

function renderSummary(el: HTMLElement, t: Trace): void {
  const root = t.spans[0];
  clear(el);
  el.append(
    h(
      'div',
      { class: 'facts' },
      fact('Root', root ? `${root.service}: ${root.name}` : '—'),
      fact('Start', formatTime(nsToMs(t.startNs))),
      fact('Duration', formatDuration(Number(t.endNs - t.startNs))),
      fact('Spans', String(t.spans.length)),
      fact('Errors', String(t.errors), t.errors ? 'fact-error' : ''),
    ),
    h('div', { class: 'legend' }, ...t.services.map((s) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: { background: serviceColor(s) } }), s))),
  );
}

function fact(label: string, value: string, cls = ''): HTMLElement {
  return h('div', { class: `fact ${cls}` }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value' }, value));
}

interface Waterfall {
  list: VirtualList<Span>;
  // Makes `s` visible (expanding collapsed ancestors) and active.
  reveal(s: Span): void;
}

// Spans are in depth-first order, so a span's descendants follow it
// contiguously with greater depth: collapsing hides that run.
function visibleSpans(spans: Span[], collapsed: Set<Span>): Span[] {
  const out: Span[] = [];
  let hideDeeperThan = -1;
  for (const s of spans) {
    if (hideDeeperThan >= 0 && s.depth > hideDeeperThan) continue;
    hideDeeperThan = collapsed.has(s) ? s.depth : -1;
    out.push(s);
  }
  return out;
}

function renderWaterfall(el: HTMLElement, t: Trace, open: (s: Span) => void): Waterfall {
  clear(el);
  const collapsed = new Set<Span>();
  let visible = t.spans;
  const refresh = () => {
    visible = visibleSpans(t.spans, collapsed);
    list.setItems(visible);
  };
  const toggle = (s: Span) => {
    if (collapsed.has(s)) collapsed.delete(s);
    else collapsed.add(s);
    refresh();
  };
  const total = Math.max(1, Number(t.endNs - t.startNs));
  const ticks = h('div', { class: 'wf-ticks' }, ...[0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { class: 'wf-tick', style: { left: `${f * 100}%` } }, formatDuration(total * f))));
  const header = h('div', { class: 'wf-header' }, h('div', { class: 'wf-name' }, 'Service and operation'), h('div', { class: 'wf-timeline' }, ticks));
  const list = new VirtualList<Span>({
    rowHeight: kRowHeight,
    label: 'Spans',
    onOpen: (s) => open(s),
    // Left hides a span's children, Right shows them again.
    onKey: (e, s) => {
      if (!s.children.length) return false;
      if ((e.key === 'ArrowLeft' && !collapsed.has(s)) || (e.key === 'ArrowRight' && collapsed.has(s))) {
        toggle(s);
        return true;
      }
      return false;
    },
    renderRow: (s) => {
      const left = (Number(s.startNs - t.startNs) / total) * 100;
      const width = Math.max(0.2, (s.durationNs / total) * 100);
      const color = serviceColor(s.service);
      return h(
        'div',
        { class: `wf-row${s.error ? ' wf-error' : ''}`, attrs: { 'data-span-id': s.spanId }, title: `${s.service}: ${s.name}` },
        h(
          'div',
          { class: 'wf-name', style: { paddingLeft: `${4 + Math.min(s.depth, 40) * 12}px` } },
          s.children.length
            ? h('button', { class: 'wf-toggle', title: collapsed.has(s) ? `Show ${s.children.length} child spans` : 'Hide child spans', attrs: { type: 'button', 'aria-expanded': String(!collapsed.has(s)) }, on: { click: () => toggle(s) } }, collapsed.has(s) ? '▸' : '▾')
            : h('span', { class: 'wf-toggle-space' }),
          h('span', { class: 'swatch', style: { background: color } }),
          s.error ? h('span', { class: 'err-mark', title: 'error' }, '!') : null,
          h('span', { class: 'wf-service' }, clip(s.service, 30)),
          ' ',
          h('span', { class: 'wf-op' }, clip(s.name, 120)),
        ),
        h(
          'div',
          { class: 'wf-timeline' },
          h('div', { class: 'wf-bar', style: { left: `${left}%`, width: `${width}%`, background: color } }),
          h('span', { class: 'wf-dur', style: { left: `${Math.min(left + width, 92)}%` } }, formatDuration(s.durationNs)),
        ),
      );
    },
  });
  el.append(header, list.el);
  list.setItems(t.spans);
  list.el.style.height = `${Math.min(t.spans.length * kRowHeight + 2, 560)}px`;
  list.render();
  return {
    list,
    reveal(s: Span) {
      let i = visible.indexOf(s);
      if (i < 0) {
        collapsed.clear();
        refresh();
        i = visible.indexOf(s);
      }
      if (i >= 0) list.setActive(i);
    },
  };
}

function kvTable(rows: KeyValue[]): HTMLElement {
  if (!rows.length) return h('div', { class: 'muted' }, 'none');
  return h('table', { class: 'kv' }, h('tbody', null, ...rows.map((kv) => h('tr', null, h('th', { attrs: { scope: 'row' } }, kv.key), h('td', null, kv.value)))));
}

function renderSpanDetails(panel: HTMLElement, t: Trace, s: Span, traceId: string, signal: AbortSignal, close: () => void): void {
  const offset = (ns: bigint) => `+${formatDuration(Number(ns - t.startNs))}`;
  const spanLogs = h('div', { class: 'span-logs' }, h('div', { class: 'muted' }, 'Loading…'));
  panel.append(
    h(
      'div',
      { class: 'panel-head' },
      h('h2', null, h('span', { class: 'swatch', style: { background: serviceColor(s.service) } }), s.name),
      h('button', { class: 'close', title: 'Close (Esc)', attrs: { type: 'button', 'aria-label': 'Close span details' }, on: { click: close } }, '×'),
    ),
    kvTable([
      { key: 'service', value: s.service },
      { key: 'span id', value: s.spanId },
      { key: 'parent', value: s.parentSpanId || '(root)' },
      { key: 'kind', value: s.kind },
      { key: 'start', value: `${formatTime(nsToMs(s.startNs))} (${offset(s.startNs)})` },
      { key: 'duration', value: formatDuration(s.durationNs) },
      { key: 'status', value: s.statusMessage ? `${s.statusCode}: ${s.statusMessage}` : s.statusCode },
      { key: 'scope', value: s.scope },
    ]),
    spanLinks(s, traceId),
    h('h3', null, 'Log lines of this span'),
    spanLogs,
    h('h3', null, `Attributes (${s.attributes.length})`),
    kvTable(s.attributes),
    h('h3', null, `Events (${s.events.length})`),
    s.events.length ? h('div', null, ...s.events.map((e) => h('div', { class: 'event' }, h('div', null, h('strong', null, e.name), ' ', h('span', { class: 'muted' }, offset(e.timeNs))), kvTable(e.attributes)))) : h('div', { class: 'muted' }, 'none'),
    h('h3', null, `Links (${s.links.length})`),
    s.links.length
      ? h(
          'div',
          null,
          ...s.links.map((l) => {
            const linked = normalizeTraceId(l.traceId);
            return h('div', { class: 'event' }, linked ? appLink(traceHref(linked, l.spanId), `trace ${linked.slice(0, 12)}… span ${l.spanId}`) : 'invalid link', kvTable(l.attributes));
          }),
        )
      : h('div', { class: 'muted' }, 'none'),
    h('h3', null, `Resource (${s.resource.length})`),
    kvTable(s.resource),
  );
  getJson<LogsAnswer>(`/api/v1/traces/${traceId}/logs`, { span_id: s.spanId, limit: String(kLogLimit) }, signal)
    .then((a) => {
      const entries = flattenStreams(a.data?.result, false);
      clear(spanLogs);
      if (!entries.length) spanLogs.append(h('div', { class: 'muted' }, 'No log lines were written in this span.'));
      for (const e of entries) spanLogs.append(h('div', { class: 'span-log' }, logDetails(e)));
      if (entries.length >= kLogLimit) spanLogs.append(h('div', { class: 'muted' }, `First ${kLogLimit} lines shown.`));
    })
    .catch((e) => {
      if (isAbort(e)) return;
      clear(spanLogs);
      spanLogs.append(h('div', { class: 'error' }, e instanceof ApiError ? e.message : String(e)));
    });
}

// Links from a span to its other signals: its log lines in Explore logs, the
// CPU profile of the samples taken while it ran, and of its service's window.
function spanLinks(s: Span, traceId: string): HTMLElement {
  const startMs = nsToMs(s.startNs);
  const endMs = startMs + s.durationNs / 1e6;
  const query = `${kCpuProfileType}{service_name=${quoteLabel(s.service)}}`;
  // Profiles are stored per upload (10 s or more): widen to whole seconds.
  const from = isoTime(Math.floor(startMs / 1000) * 1000 - 1000);
  const to = isoTime(Math.ceil(endMs / 1000) * 1000 + 1000);
  return h(
    'div',
    { class: 'span-links' },
    appLink(profilesHref({ query, from, to, span_id: s.spanId }), 'Profile of this span'),
    appLink(profilesHref({ query, from: isoTime(startMs - 5 * 60e3), to: isoTime(endMs + 5 * 60e3) }), 'Profile of the window'),
    appLink(logsHref({ q: `{service_name=${quoteLabel(s.service)}} | span_id = "${s.spanId}"`, from: isoTime(startMs - 60e3), to: isoTime(endMs + 60e3) }), 'Logs in Explore'),
    appLink(logsHref({ q: `{service_name=${quoteLabel(s.service)}} | trace_id = "${traceId}"`, from: isoTime(startMs - 60e3), to: isoTime(endMs + 60e3) }), 'Trace\u2019s logs of this service'),
  );
}

function renderTraceLogs(section: HTMLElement, answer: LogsAnswer & { error?: unknown }, onSpan: (spanId: string) => void): void {
  const body = h('div', { class: 'trace-log-list' });
  section.append(body);
  if (answer.error) {
    body.append(h('div', { class: 'error' }, String(answer.error instanceof Error ? answer.error.message : answer.error)));
    return;
  }
  const entries: LogEntry[] = flattenStreams(answer.data?.result, false);
  if (!entries.length) {
    body.append(h('div', { class: 'muted' }, 'No log lines are linked to this trace.'));
    return;
  }
  const detail = h('div', { class: 'log-detail-inline' });
  const list = new VirtualList<LogEntry>({
    rowHeight: 22,
    label: 'Log lines of this trace',
    renderRow: (e) => logRow(e, { onSpan }),
    onOpen: (e) => {
      clear(detail);
      detail.append(logDetails(e));
    },
  });
  body.append(h('div', { class: 'muted' }, `${entries.length}${entries.length >= kLogLimit ? '+' : ''} lines, oldest first`), list.el, detail);
  list.setItems(entries);
  list.el.style.height = `${Math.min(entries.length * 22 + 2, 330)}px`;
  list.render();
}
