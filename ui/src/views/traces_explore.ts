// Explore traces: a TraceQL search over a time range, results sortable by
// root service, name, start, duration and spans; a row opens its trace.
// State in the URL: q, from, to, limit, sort, desc.

import { ApiError, getJson, isAbort } from '../api';
import { appLink, clear, h, serviceColor as colorFor } from '../dom';
import { queryBar, remember } from '../query_bar';
import { normalizeTraceId, traceHref, tracesHref, type Route } from '../routes';
import { formatDuration, formatTime, nsToMs, resolveRange } from '../time';
import type { AppContext, View } from '../view';

interface SearchTrace {
  traceID: string;
  rootServiceName?: string;
  rootTraceName?: string;
  startTimeUnixNano?: string;
  durationMs?: number;
  spanSet?: { matched?: number };
  spanSets?: Array<{ matched?: number }>;
}

interface Row {
  id: string;
  service: string;
  name: string;
  startMs: number;
  durationMs: number;
  matched: number;
  spans: number | null; // from the trace's summary, filled in after the list
}

type SortKey = 'service' | 'name' | 'start' | 'duration' | 'spans';
const kColumns: Array<[SortKey, string]> = [
  ['service', 'Root service'],
  ['name', 'Root name'],
  ['start', 'Start'],
  ['duration', 'Duration'],
  ['spans', 'Spans (matched / all)'],
];
const kHistoryKey = 'quartet.history.traceql';

export function tracesExplore(route: Route, app: AppContext): View {
  const p = route.params;
  const state = {
    q: p.get('q') ?? '{ }',
    from: p.get('from') ?? 'now-1h',
    to: p.get('to') ?? 'now',
    limit: p.get('limit') ?? '20',
    sort: (p.get('sort') ?? 'start') as SortKey,
    desc: p.get('desc') !== '0',
  };
  const limit = h('select', { attrs: { 'aria-label': 'Result limit' } }, ...['20', '50', '100', '500'].map((n) => h('option', { attrs: { value: n } }, `${n} traces`)));
  limit.value = ['20', '50', '100', '500'].includes(state.limit) ? state.limit : '20';
  const href = (over: Partial<typeof state>) => {
    const s = { ...state, ...over };
    return tracesHref({ q: s.q, from: s.from, to: s.to, limit: s.limit, sort: s.sort, desc: s.desc ? undefined : '0' });
  };
  const bar = queryBar({
    label: 'TraceQL query',
    placeholder: '{ resource.service.name = "checkout" && duration > 500ms }',
    historyKey: kHistoryKey,
    values: state,
    extra: [limit],
    onRun: (v) => app.navigate(href({ ...v, limit: limit.value })),
  });
  limit.addEventListener('change', () => app.navigate(href({ ...bar.values(), limit: limit.value })));
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const results = h('div', { class: 'results' });
  const el = h('section', { class: 'view view-traces' }, h('h1', null, 'Explore traces'), bar.el, status, results);

  const abort = new AbortController();
  let rows: Row[] = [];
  const spanCells = new Map<string, HTMLElement>();
  const spansText = (r: Row) => `${r.matched} / ${r.spans ?? '…'}`;
  const updateCounts = () => {
    for (const r of rows) {
      const cell = spanCells.get(r.id);
      if (cell) cell.textContent = spansText(r);
    }
  };

  const renderTable = () => {
    clear(results);
    spanCells.clear();
    if (!rows.length) return;
    const sorted = [...rows].sort((a, b) => compare(a, b, state.sort) * (state.desc ? -1 : 1));
    const head = h(
      'tr',
      null,
      ...kColumns.map(([key, label]) =>
        h(
          'th',
          { class: key === 'service' || key === 'name' ? '' : 'num', attrs: { scope: 'col', 'aria-sort': state.sort === key ? (state.desc ? 'descending' : 'ascending') : 'none' } },
          h(
            'button',
            {
              class: 'sort',
              attrs: { type: 'button' },
              on: {
                click: () => {
                  const desc = state.sort === key ? !state.desc : key !== 'service' && key !== 'name';
                  app.navigate(href({ sort: key, desc }), { replace: true });
                },
              },
            },
            label,
            state.sort === key ? (state.desc ? ' ▼' : ' ▲') : '',
          ),
        ),
      ),
    );
    const body = h('tbody');
    for (const r of sorted) {
      const open = () => app.navigate(traceHref(r.id));
      const spanCell = h('td', { class: 'num' }, spansText(r));
      spanCells.set(r.id, spanCell);
      body.appendChild(
        h(
          'tr',
          {
            class: 'result-row',
            attrs: { tabindex: '0', 'data-trace-id': r.id },
            on: {
              click: (e) => {
                if (!(e.target as HTMLElement).closest('a')) open();
              },
              keydown: (e) => {
                if (e.key === 'Enter') open();
                else if (e.key === 'ArrowDown') ((e.currentTarget as HTMLElement).nextElementSibling as HTMLElement | null)?.focus();
                else if (e.key === 'ArrowUp') ((e.currentTarget as HTMLElement).previousElementSibling as HTMLElement | null)?.focus();
              },
            },
          },
          h('td', null, h('span', { class: 'swatch', style: { background: colorFor(r.service) } }), r.service),
          h('td', null, appLink(traceHref(r.id), r.name || '<no name>')),
          h('td', { class: 'num' }, formatTime(r.startMs)),
          h('td', { class: 'num' }, formatDuration(r.durationMs * 1e6)),
          spanCell,
        ),
      );
    }
    results.appendChild(h('table', { class: 'table' }, h('thead', null, head), body));
  };

  const run = async () => {
    bar.clearError();
    const range = resolveRange(state.from, state.to);
    if (typeof range === 'string') return bar.showError(range);
    remember(kHistoryKey, state.q);
    status.textContent = 'Searching…';
    try {
      const res = await getJson<{ traces?: SearchTrace[] }>(
        '/api/search',
        { q: state.q, start: String(Math.floor(range.fromMs / 1000)), end: String(Math.ceil(range.toMs / 1000)), limit: state.limit },
        abort.signal,
      );
      rows = (res.traces ?? []).flatMap((t): Row[] => {
        const id = normalizeTraceId(String(t.traceID ?? ''));
        if (!id) return [];
        const matched = (t.spanSets ?? (t.spanSet ? [t.spanSet] : [])).reduce((n, s) => n + (s.matched ?? 0), 0);
        return [{ id, service: String(t.rootServiceName ?? ''), name: String(t.rootTraceName ?? ''), startMs: t.startTimeUnixNano ? nsToMs(t.startTimeUnixNano) : 0, durationMs: Number(t.durationMs ?? 0), matched, spans: null }];
      });
      status.textContent = rows.length ? `${rows.length} trace${rows.length === 1 ? '' : 's'}` : 'No traces match in this time range.';
      renderTable();
      await fillSpanCounts(rows, abort.signal, updateCounts);
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      bar.showError(e instanceof ApiError ? e.message : String(e));
    }
  };
  if (p.has('q')) void run();
  else status.textContent = 'Write a TraceQL query and press Enter. { } finds every trace.';

  return {
    el,
    queryInput: bar.input,
    update(next: Route) {
      // A sort change needs no new search.
      const n = next.params;
      if (n.get('q') !== p.get('q') || n.get('from') !== p.get('from') || n.get('to') !== p.get('to') || n.get('limit') !== p.get('limit')) return false;
      state.sort = (n.get('sort') ?? 'start') as SortKey;
      state.desc = n.get('desc') !== '0';
      renderTable();
      return true;
    },
    destroy: () => abort.abort(),
  };
}

function compare(a: Row, b: Row, key: SortKey): number {
  switch (key) {
    case 'service':
      return a.service.localeCompare(b.service);
    case 'name':
      return a.name.localeCompare(b.name);
    case 'start':
      return a.startMs - b.startMs;
    case 'duration':
      return a.durationMs - b.durationMs;
    case 'spans':
      return (a.spans ?? a.matched) - (b.spans ?? b.matched);
  }
}

// The search answer has matched spans only; each trace's summary (the
// correlation index, no scan) has its span count. Four at a time, for the
// first kMaxSummaries rows (the rest show matched spans only).
const kMaxSummaries = 100;
async function fillSpanCounts(all: Row[], signal: AbortSignal, redraw: () => void): Promise<void> {
  const rows = all.slice(0, kMaxSummaries);
  let next = 0;
  let timer = 0;
  const worker = async () => {
    while (next < rows.length && !signal.aborted) {
      const r = rows[next++];
      try {
        const s = await getJson<{ data?: { spanCount?: number } }>(`/api/v1/traces/${r.id}/summary`, {}, signal);
        r.spans = Number(s.data?.spanCount ?? 0);
      } catch (e) {
        if (isAbort(e)) return;
        r.spans = null;
      }
      if (!timer) timer = window.setTimeout(() => { timer = 0; redraw(); }, 50);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (!signal.aborted) redraw();
}
