// Explore metrics: a PromQL range query over a time range as a chart and a
// table (the same renderer as LogQL metric queries: both answer Prometheus's
// "matrix"). The query input suggests metric names from
// /api/v1/label/__name__/values besides the remembered queries.
// State in the URL: q, from, to, step (a Prometheus duration; auto when absent).

import { ApiError, getJson, isAbort } from '../api';
import { clear, h } from '../dom';
import { queryBar, remember } from '../query_bar';
import { metricsHref, type Route } from '../routes';
import { resolveRange } from '../time';
import type { AppContext, View } from '../view';

const kHistoryKey = 'quartet.history.promql';

interface MatrixAnswer {
  data?: { resultType?: string; result?: unknown };
}

export function metricsExplore(route: Route, app: AppContext): View {
  const p = route.params;
  const state = { q: p.get('q') ?? '', from: p.get('from') ?? 'now-1h', to: p.get('to') ?? 'now', step: p.get('step') ?? '' };
  const step = h('input', { class: 'time-input', attrs: { type: 'text', placeholder: 'step: auto', 'aria-label': 'Step', title: 'Resolution, e.g. 15s or 1m; empty: about 250 points' } });
  step.value = state.step;
  const href = (over: Partial<typeof state>) => metricsHref({ ...state, ...over });
  const bar = queryBar({
    label: 'PromQL query',
    placeholder: 'sum by (http_route) (rate(http_server_request_duration_seconds_count[5m]))',
    historyKey: kHistoryKey,
    values: state,
    extra: [step],
    onRun: (v) => app.navigate(href({ ...v, step: step.value.trim() })),
  });
  step.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') app.navigate(href({ ...bar.values(), step: step.value.trim() }));
  });
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const results = h('div', { class: 'results' });
  const el = h('section', { class: 'view view-metrics' }, h('h1', null, 'Explore metrics'), bar.el, status, results);
  const abort = new AbortController();

  // Metric names as suggestions, after the remembered queries.
  getJson<{ data?: unknown }>('/api/v1/label/__name__/values', {}, abort.signal)
    .then((a) => {
      const list = bar.input.list;
      if (!list || !Array.isArray(a.data)) return;
      for (const name of a.data.slice(0, 2000)) if (typeof name === 'string') list.append(h('option', { attrs: { value: name } }));
    })
    .catch(() => {
      // suggestions are optional
    });

  const run = async () => {
    bar.clearError();
    if (!state.q.trim()) {
      status.textContent = 'Write a PromQL query and press Enter.';
      return;
    }
    const range = resolveRange(state.from, state.to);
    if (typeof range === 'string') return bar.showError(range);
    remember(kHistoryKey, state.q);
    const autoStep = Math.max(1, Math.round((range.toMs - range.fromMs) / 1000 / 250));
    status.textContent = 'Querying…';
    try {
      const a = await getJson<MatrixAnswer>(
        '/api/v1/query_range',
        { query: state.q, start: String(range.fromMs / 1000), end: String(range.toMs / 1000), step: state.step || `${autoStep}s` },
        abort.signal,
      );
      if (a.data?.resultType !== 'matrix') throw new ApiError(200, `unexpected result type ${String(a.data?.resultType)}`);
      const { renderMetricResult } = await import('./log_chart');
      status.textContent = '';
      clear(results);
      renderMetricResult(results, a.data.result, range);
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      bar.showError(e instanceof ApiError ? e.message : String(e));
    }
  };
  void run();
  return { el, queryInput: bar.input, destroy: () => abort.abort() };
}
