// Explore logs: a LogQL query over a time range. Log queries page through the
// server (limit + a time cursor: backward moves `end` to the oldest line
// shown, forward moves `start` to the newest) into a virtualized list, so a
// search over millions of lines shows its first lines at once and scrolls.
// Metric queries (count_over_time, rate, ...) become a chart and a table.
// State in the URL: q, from, to, dir, line (the selected line's timestamp, ns).

import { ApiError, getJson, isAbort } from '../api';
import { clear, h } from '../dom';
import { flattenStreams, logDetails, logRow, type LogEntry } from '../log_model';
import { queryBar, remember } from '../query_bar';
import { logsHref, type Route } from '../routes';
import { resolveRange } from '../time';
import type { AppContext, View } from '../view';
import { VirtualList } from '../virtual_list';

const kPageSize = 1000;
const kHistoryKey = 'quartet.history.logql';

interface QueryRangeAnswer {
  data?: { resultType?: string; result?: unknown };
}

export function logsExplore(route: Route, app: AppContext): View {
  const p = route.params;
  const state = {
    q: p.get('q') ?? '',
    from: p.get('from') ?? 'now-1h',
    to: p.get('to') ?? 'now',
    dir: p.get('dir') === 'forward' ? 'forward' : 'backward',
  };
  const dir = h('select', { attrs: { 'aria-label': 'Order' } }, h('option', { attrs: { value: 'backward' } }, 'Newest first'), h('option', { attrs: { value: 'forward' } }, 'Oldest first'));
  dir.value = state.dir;
  const href = (over: Partial<typeof state> & { line?: string }) => logsHref({ ...state, ...over, dir: (over.dir ?? state.dir) === 'forward' ? 'forward' : undefined });
  const bar = queryBar({
    label: 'LogQL query',
    placeholder: '{service_name="checkout"} |= "error"',
    historyKey: kHistoryKey,
    values: state,
    extra: [dir],
    onRun: (v) => app.navigate(href({ ...v, dir: dir.value })),
  });
  dir.addEventListener('change', () => app.navigate(href({ ...bar.values(), dir: dir.value })));
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const results = h('div', { class: 'results' });
  const panel = h('aside', { class: 'panel', attrs: { 'aria-label': 'Log line details' } });
  panel.hidden = true;
  const el = h('section', { class: 'view view-logs' }, h('h1', null, 'Explore logs'), bar.el, status, h('div', { class: 'split' }, results, panel));
  const abort = new AbortController();

  const entries: LogEntry[] = [];
  const seen = new Set<string>();
  let list: VirtualList<LogEntry> | null = null;
  let loading = false;
  let exhausted = false;
  let cursor: { start: bigint; end: bigint } = { start: 0n, end: 0n };

  // The selected line is named in the URL by its timestamp (ns), which still
  // means the same line when the link is opened later.
  const lineIndex = (ts: string | null): number => (ts && /^\d{1,20}$/.test(ts) ? entries.findIndex((e) => e.tsNs === BigInt(ts)) : -1);
  const showLine = (index: number, push: boolean) => {
    const e = entries[index];
    clear(panel);
    if (!e) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    panel.append(
      h('div', { class: 'panel-head' }, h('h2', null, 'Log line'), h('button', { class: 'close', title: 'Close (Esc)', attrs: { type: 'button', 'aria-label': 'Close line details' }, on: { click: () => closeLine() } }, '×')),
      logDetails(e),
    );
    if (push) app.navigate(href({ line: String(e.tsNs) }), { replace: true });
  };
  const closeLine = () => {
    panel.hidden = true;
    app.navigate(href({}), { replace: true });
  };

  const updateStatus = () => {
    status.textContent = `${entries.length} line${entries.length === 1 ? '' : 's'}${exhausted ? '' : ' loaded, more as you scroll'}${state.dir === 'backward' ? ', newest first' : ', oldest first'}`;
  };

  // One page after the cursor. A line sharing the cursor's nanosecond with
  // the last one shown is asked for again and dropped as already seen, so
  // none is lost at a page boundary.
  const fetchPage = async (): Promise<void> => {
    if (loading || exhausted) return;
    loading = true;
    try {
      const a = await getJson<QueryRangeAnswer>(
        '/loki/api/v1/query_range',
        { query: state.q, start: String(cursor.start), end: String(cursor.end), limit: String(kPageSize), direction: state.dir },
        abort.signal,
      );
      if (a.data?.resultType !== 'streams') return;
      const page = flattenStreams(a.data.result, state.dir === 'backward');
      const fresh = page.filter((e) => !seen.has(e.key));
      for (const e of fresh) seen.add(e.key);
      for (const e of fresh) entries.push(e);
      if (page.length < kPageSize) exhausted = true;
      else if (page.length) {
        const edge = page[page.length - 1].tsNs;
        if (state.dir === 'backward') cursor.end = fresh.length ? edge + 1n : edge;
        else cursor.start = fresh.length ? edge : edge + 1n;
      }
      list?.append([]);
      updateStatus();
    } catch (e) {
      if (isAbort(e)) return;
      exhausted = true;
      bar.showError(e instanceof ApiError ? e.message : String(e));
    } finally {
      loading = false;
    }
  };

  const run = async () => {
    bar.clearError();
    if (!state.q.trim()) {
      status.textContent = 'Write a LogQL query, e.g. {service_name="checkout"} |= "error", and press Enter.';
      return;
    }
    const range = resolveRange(state.from, state.to);
    if (typeof range === 'string') return bar.showError(range);
    remember(kHistoryKey, state.q);
    const startNs = BigInt(Math.floor(range.fromMs)) * 1000000n;
    const endNs = BigInt(Math.ceil(range.toMs)) * 1000000n;
    cursor = { start: startNs, end: endNs };
    status.textContent = 'Searching…';
    try {
      const first = await getJson<QueryRangeAnswer>(
        '/loki/api/v1/query_range',
        { query: state.q, start: String(startNs), end: String(endNs), limit: String(kPageSize), direction: state.dir },
        abort.signal,
      );
      if (first.data?.resultType === 'matrix') {
        const { renderMetricResult } = await import('./log_chart');
        status.textContent = '';
        renderMetricResult(results, first.data.result, range);
        return;
      }
      if (first.data?.resultType !== 'streams') throw new ApiError(200, `unexpected result type ${String(first.data?.resultType)}`);
      // The first page goes through the same cursor logic as the rest.
      list = new VirtualList<LogEntry>({
        rowHeight: 22,
        label: 'Log lines',
        renderRow: (e) => logRow(e),
        onOpen: (_e, i) => showLine(i, true),
        onNearEnd: () => void fetchPage(),
      });
      list.setItems(entries);
      clear(results);
      results.append(list.el);
      const page = flattenStreams(first.data.result, state.dir === 'backward');
      for (const e of page) {
        seen.add(e.key);
        entries.push(e);
      }
      if (page.length < kPageSize) exhausted = true;
      else {
        const edge = page[page.length - 1].tsNs;
        if (state.dir === 'backward') cursor.end = edge + 1n;
        else cursor.start = edge;
      }
      updateStatus();
      if (!entries.length) status.textContent = 'No log lines match in this time range.';
      list.render();
      const line = lineIndex(p.get('line'));
      if (line >= 0) {
        list.setActive(line);
        showLine(line, false);
      }
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      bar.showError(e instanceof ApiError ? e.message : String(e));
    }
  };
  void run();

  return {
    el,
    queryInput: bar.input,
    update(next: Route) {
      const n = next.params;
      for (const k of ['q', 'from', 'to', 'dir']) if (n.get(k) !== p.get(k)) return false;
      const line = lineIndex(n.get('line'));
      if (line >= 0) showLine(line, false);
      else panel.hidden = true;
      return true;
    },
    closePanel() {
      if (panel.hidden) return false;
      closeLine();
      return true;
    },
    destroy: () => abort.abort(),
  };
}

