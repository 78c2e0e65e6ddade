// The profiles view: a flame graph of one profile query over a window
// (Pyroscope's render API), or the diff of a baseline window against it
// (render-diff), with search, click-to-zoom, a sortable top table and the
// sandwich of one function (its callers and callees merged).
// State in the URL: /ui/profiles?query=<type>{labels}&from&to[&span_id=]
// [&diff_from&diff_to][&search=][&sandwich=<function>][&zoom=<node>].
// span_id asks for the samples taken while that span ran ("profile of this
// span"); it is passed through to the render API.

import { ApiError, getJson, isAbort } from '../api';
import { append, clear, h } from '../dom';
import { FlameGraph } from '../flame_graph';
import { formatTicks, matchedShare, parseFlamebearer, percent, sandwich, searchNames, sortTop, topTable, type Flame, type TopSort } from '../flame_model';
import { queryBar, remember } from '../query_bar';
import { isSpanId, kCpuProfileType, profilesHref, type Route } from '../routes';
import { resolveRange } from '../time';
import type { AppContext, View } from '../view';

const kHistoryKey = 'quartet.history.profiles';
const kTopRows = 300;

interface State {
  query: string;
  from: string;
  to: string;
  span_id: string;
  diff_from: string;
  diff_to: string;
  search: string;
  sandwich: string;
  zoom: string;
  sort: string;
}

function readState(p: URLSearchParams): State {
  return {
    query: p.get('query') ?? '',
    from: p.get('from') ?? 'now-1h',
    to: p.get('to') ?? 'now',
    span_id: p.get('span_id') ?? '',
    diff_from: p.get('diff_from') ?? '',
    diff_to: p.get('diff_to') ?? '',
    search: p.get('search') ?? '',
    sandwich: p.get('sandwich') ?? '',
    zoom: p.get('zoom') ?? '',
    sort: p.get('sort') ?? 'self',
  };
}

const dataKey = (s: State) => JSON.stringify([s.query, s.from, s.to, s.span_id, s.diff_from, s.diff_to]);
const secs = (ms: number) => String(Math.floor(ms / 1000));

export function profilesView(route: Route, app: AppContext): View {
  let state = readState(route.params);
  const href = (over: Partial<State>) => profilesHref({ ...state, ...over, sort: (over.sort ?? state.sort) === 'self' ? undefined : (over.sort ?? state.sort) });
  const baseFrom = h('input', { class: 'time-input', attrs: { type: 'text', placeholder: 'baseline from (diff)', 'aria-label': 'Baseline from' } });
  const baseTo = h('input', { class: 'time-input', attrs: { type: 'text', placeholder: 'baseline to', 'aria-label': 'Baseline to' } });
  baseFrom.value = state.diff_from;
  baseTo.value = state.diff_to;
  const bar = queryBar({
    label: 'Profile query',
    placeholder: `${kCpuProfileType}{service_name="checkout"}`,
    historyKey: kHistoryKey,
    values: { q: state.query, from: state.from, to: state.to },
    extra: [h('span', { class: 'muted' }, 'compare with'), baseFrom, baseTo],
    onRun: (v) => app.navigate(href({ query: v.q.trim(), from: v.from, to: v.to, diff_from: baseFrom.value.trim(), diff_to: baseTo.value.trim(), zoom: '', sandwich: '' })),
  });
  for (const el of [baseFrom, baseTo]) el.addEventListener('keydown', (e) => e.key === 'Enter' && bar.el.querySelector<HTMLButtonElement>('button.primary')?.click());

  const search = h('input', { class: 'flame-search', attrs: { type: 'search', placeholder: 'Search functions', 'aria-label': 'Search functions', spellcheck: 'false' } });
  search.value = state.search;
  const matchInfo = h('span', { class: 'muted flame-match' });
  const reset = h('button', { attrs: { type: 'button' } }, 'Reset zoom');
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const facts = h('div', { class: 'facts flame-facts' });
  const graphBox = h('div', { class: 'flame-box' });
  const sandwichBox = h('section', { class: 'sandwich', attrs: { 'aria-label': 'Sandwich' } });
  sandwichBox.hidden = true;
  const topBox = h('div', { class: 'flame-top' });
  const toolbar = h('div', { class: 'query-row flame-toolbar' }, search, matchInfo, reset);
  const el = h('section', { class: 'view view-profiles' }, h('h1', null, 'Profiles'), bar.el, status, facts, toolbar, graphBox, sandwichBox, h('h2', null, 'Top functions'), topBox);
  toolbar.hidden = true;
  let abort = new AbortController();
  let flame: Flame | null = null;
  let graph: FlameGraph | null = null;
  let sandwichGraphs: FlameGraph[] = [];

  const applySearch = () => {
    if (!flame || !graph) return;
    const mask = state.search.trim() ? searchNames(flame, state.search) : null;
    graph.setSearch(mask);
    for (const g of sandwichGraphs) g.setSearch(mask);
    matchInfo.textContent = mask ? `${mask.reduce((a, b) => a + b, 0)} functions match, ${percent(matchedShare(flame, mask), 1)} of the profile` : '';
    renderTop();
  };

  const renderTop = () => {
    clear(topBox);
    if (!flame) return;
    const f = flame;
    const sort = (['self', 'total', 'name', 'change'] as TopSort[]).includes(state.sort as TopSort) ? (state.sort as TopSort) : 'self';
    const needle = state.search.trim().toLowerCase();
    const whole = f.diff ? f.rightTicks : f.numTicks;
    let rows = sortTop(topTable(f), sort, sort !== 'name');
    if (needle) rows = rows.filter((r) => r.name.toLowerCase().includes(needle));
    const head = (key: TopSort, label: string, numeric: boolean) =>
      h(
        'th',
        { class: numeric ? 'num' : '', attrs: sort === key ? { 'aria-sort': key === 'name' ? 'ascending' : 'descending' } : {} },
        h('button', { class: 'sort', attrs: { type: 'button', 'data-sort': key }, on: { click: () => app.navigate(href({ sort: key }), { replace: true }) } }, label),
      );
    topBox.append(
      h(
        'table',
        { class: 'table top-table' },
        h('thead', null, h('tr', null, head('name', 'Function', false), head('self', f.diff ? 'Self (compared window)' : 'Self', true), head('total', f.diff ? 'Total (compared window)' : 'Total', true), f.diff ? head('change', 'Self change', true) : null)),
        h(
          'tbody',
          null,
          ...rows.slice(0, kTopRows).map((r) =>
            h(
              'tr',
              { class: 'result-row', attrs: { tabindex: '0', 'data-function': r.name, title: 'Enter or click: sandwich of this function' } },
              h('td', { class: 'fn-name' }, r.name),
              h('td', { class: 'num' }, `${formatTicks(f, r.self)} · ${percent(r.self, whole)}`),
              h('td', { class: 'num' }, `${formatTicks(f, r.total)} · ${percent(r.total, whole)}`),
              f.diff ? h('td', { class: `num ${(r.selfChange ?? 0) > 0 ? 'grew' : 'shrank'}` }, `${(r.selfChange ?? 0) >= 0 ? '+' : ''}${((r.selfChange ?? 0) * 100).toFixed(2)} pp`) : null,
            ),
          ),
        ),
      ),
    );
    if (rows.length > kTopRows) topBox.append(h('div', { class: 'muted' }, `First ${kTopRows} of ${rows.length} functions; search narrows the list.`));
    for (const tr of topBox.querySelectorAll<HTMLElement>('tr.result-row')) {
      const open = () => app.navigate(href({ sandwich: tr.dataset.function ?? '' }), { replace: true });
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') open();
      });
    }
  };

  const renderSandwich = () => {
    for (const g of sandwichGraphs) g.destroy();
    sandwichGraphs = [];
    clear(sandwichBox);
    const fn = flame ? flame.names.indexOf(state.sandwich) : -1;
    sandwichBox.hidden = !flame || fn < 0;
    if (!flame || fn < 0) return;
    const s = sandwich(flame, fn);
    const callers = new FlameGraph(s.callers, { label: `Callers of ${state.sandwich}` });
    const callees = new FlameGraph(s.callees, { label: `Callees of ${state.sandwich}` });
    sandwichGraphs = [callers, callees];
    sandwichBox.append(
      h(
        'div',
        { class: 'panel-head' },
        h('h2', null, 'Sandwich: ', h('code', null, state.sandwich)),
        h('button', { class: 'close', title: 'Close (Esc)', attrs: { type: 'button', 'aria-label': 'Close the sandwich' }, on: { click: () => app.navigate(href({ sandwich: '' }), { replace: true }) } }, '×'),
      ),
      h('h3', null, 'Callers (the function on top, who called it below)'),
      callers.el,
      h('h3', null, 'Callees (what it spent its time in)'),
      callees.el,
    );
    applySearch();
  };

  const load = async () => {
    bar.clearError();
    clear(facts);
    if (!state.query.trim()) {
      status.textContent = `Write a profile query, e.g. ${kCpuProfileType}{service_name="checkout"}, and press Enter.`;
      return;
    }
    const range = resolveRange(state.from, state.to);
    if (typeof range === 'string') return bar.showError(range);
    const diff = !!(state.diff_from && state.diff_to);
    const base = diff ? resolveRange(state.diff_from, state.diff_to) : null;
    if (typeof base === 'string') return bar.showError(`baseline: ${base}`);
    remember(kHistoryKey, state.query);
    status.textContent = 'Loading the profile…';
    try {
      const json = base
        ? await getJson<unknown>(
            '/pyroscope/render-diff',
            { leftQuery: state.query, leftFrom: secs(base.fromMs), leftUntil: secs(base.toMs), rightQuery: state.query, rightFrom: secs(range.fromMs), rightUntil: secs(range.toMs), format: 'json' },
            abort.signal,
          )
        : await getJson<unknown>('/pyroscope/render', { query: state.query, from: secs(range.fromMs), until: secs(range.toMs), format: 'json', span_id: isSpanId(state.span_id) ? state.span_id : undefined }, abort.signal);
      const t0 = performance.now();
      const parsed = parseFlamebearer(json);
      if (typeof parsed === 'string') throw new ApiError(200, `cannot read the profile: ${parsed}`);
      flame = parsed;
      if (!flame.numTicks) {
        status.textContent = state.span_id ? 'No samples were taken while this span ran (short spans often have none at the sampling rate).' : 'No samples in this window.';
      }
      append(
        facts,
        fact('Samples', formatTicks(flame, flame.numTicks)),
        fact('Functions', String(flame.names.length)),
        fact('Nodes', String(flame.name.length)),
        diff ? fact('Mode', 'diff: red grew, green shrank') : null,
        isSpanId(state.span_id) ? fact('Span', state.span_id) : null,
      );
      graph?.destroy();
      graph = new FlameGraph(flame, {
        label: 'Flame graph',
        onZoom: (n) => app.navigate(href({ zoom: n >= 0 ? String(n) : '' }), { replace: true }),
        onSelectName: (i) => app.navigate(href({ sandwich: flame!.names[i] }), { replace: true }),
      });
      clear(graphBox);
      graphBox.append(graph.el);
      toolbar.hidden = false;
      if (state.zoom) graph.setZoom(Number(state.zoom));
      applySearch();
      renderSandwich();
      graph.draw();
      if (flame.numTicks) status.textContent = `Drawn in ${Math.round(performance.now() - t0)} ms.`;
      el.dataset.ready = '1';
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      if (e instanceof ApiError && e.status === 404 && /no route for/.test(e.message)) bar.showError('Profiles are not available on this server (no /pyroscope/render).');
      else bar.showError(e instanceof ApiError ? e.message : String(e));
    }
  };

  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => app.navigate(href({ search: search.value }), { replace: true }), 150);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(searchTimer);
      app.navigate(href({ search: search.value }), { replace: true });
    }
  });
  reset.addEventListener('click', () => graph?.setZoom(-1, true));
  void load();

  return {
    el,
    queryInput: bar.input,
    update(next: Route) {
      const ns = readState(next.params);
      if (dataKey(ns) !== dataKey(state)) return false;
      const old = state;
      state = ns;
      if (search.value !== ns.search && document.activeElement !== search) search.value = ns.search;
      if (old.search !== ns.search || old.sort !== ns.sort) applySearch();
      if (old.sandwich !== ns.sandwich) renderSandwich();
      if (graph && old.zoom !== ns.zoom) graph.setZoom(ns.zoom ? Number(ns.zoom) : -1);
      return true;
    },
    closePanel() {
      if (!sandwichBox.hidden) {
        app.navigate(href({ sandwich: '' }), { replace: true });
        return true;
      }
      if (graph && graph.zoomed >= 0) {
        graph.setZoom(-1, true);
        return true;
      }
      return false;
    },
    destroy() {
      clearTimeout(searchTimer);
      abort.abort();
      abort = new AbortController();
      graph?.destroy();
      for (const g of sandwichGraphs) g.destroy();
    },
  };
}

function fact(label: string, value: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value' }, value));
}
