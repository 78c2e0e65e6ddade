// The service overview: is it broken, and who is affected. For one service
// (picker) and optionally one route: the alert states, a RED table per route
// (rate, error ratio, p50/p95/p99 over the whole window), rate/errors/latency
// charts, the latency heatmap with exemplar dots (a dot opens its trace, a
// cell searches the traces of that bucket and time), a gauge of the database
// connection pool when the service exports one, and deploy/migration
// annotations as markers on every chart (a marker opens the window after it).
// RED comes from the SDK's http_server_request_duration_seconds histogram or
// from span metrics, whichever /api/v1/series finds for the service.
// State in the URL: /ui/overview?service=&route=&from=&to=.

import { ApiError, getJson, isAbort } from '../api';
import { appLink, clear, errorBox, h } from '../dom';
import {
  autoStep,
  bucketTraceQl,
  formatRate,
  formatRatio,
  formatSeconds,
  heatmapFromBuckets,
  parseExemplars,
  rateWindow,
  redQueries,
  type RedSource,
  type Series,
} from '../red_model';
import { incidentHref, normalizeTraceId, overviewHref, traceHref, tracesHref, type Route } from '../routes';
import { annotationMarkers, fetchAlerts, fetchAnnotations, fetchSources, instantQuery, rangeQuery, redCharts, sourceFor, type Alert, type Annotation } from '../signals';
import { formatTime, isoTime, kPresets, resolveRange, type Range } from '../time';
import type { AppContext, View } from '../view';

interface State {
  service: string;
  route: string;
  from: string;
  to: string;
}

export function overviewView(route: Route, app: AppContext): View {
  const p = route.params;
  const state: State = { service: p.get('service') ?? '', route: p.get('route') ?? '', from: p.get('from') ?? 'now-1h', to: p.get('to') ?? 'now' };
  const href = (over: Partial<State>) => overviewHref({ ...state, ...over });
  const serviceSel = h('select', { attrs: { 'aria-label': 'Service', 'data-query-input': '' } }, h('option', { attrs: { value: '' } }, 'Service…'));
  const routeSel = h('select', { attrs: { 'aria-label': 'Route' } }, h('option', { attrs: { value: '' } }, 'All routes'));
  const from = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'From' } });
  const to = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'To' } });
  from.value = state.from;
  to.value = state.to;
  const preset = h('select', { attrs: { 'aria-label': 'Time range' } }, h('option', { attrs: { value: '' } }, 'Custom range'), ...kPresets.map(([v, l]) => h('option', { attrs: { value: v } }, l)));
  preset.value = state.to === 'now' && kPresets.some(([v]) => v === state.from) ? state.from : '';
  const run = () => app.navigate(href({ service: serviceSel.value, route: routeSel.value, from: from.value.trim() || 'now-1h', to: to.value.trim() || 'now' }));
  serviceSel.addEventListener('change', () => {
    routeSel.value = '';
    run();
  });
  routeSel.addEventListener('change', run);
  preset.addEventListener('change', () => {
    if (!preset.value) return;
    from.value = preset.value;
    to.value = 'now';
    run();
  });
  for (const i of [from, to]) i.addEventListener('keydown', (e) => e.key === 'Enter' && run());
  const err = errorBox();
  const controls = h('div', { class: 'query-bar' }, h('div', { class: 'query-row' }, serviceSel, routeSel, preset, from, h('span', { class: 'muted' }, 'to'), to, h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: run } }, 'Show')), err.el);
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const alertsBox = h('section', { class: 'alerts-strip', attrs: { 'aria-label': 'Alerts' } });
  const tableBox = h('section', { class: 'red-table-box', attrs: { 'aria-label': 'RED per route' } });
  const chartsBox = h('section', { class: 'red-charts', attrs: { 'aria-label': 'RED charts' } });
  const heatBox = h('section', { class: 'heatmap-box' });
  const poolBox = h('section', { class: 'pool-box' });
  const annBox = h('section', { class: 'annotations-box' });
  const el = h('section', { class: 'view view-overview' }, h('h1', null, 'Service overview'), controls, status, alertsBox, tableBox, chartsBox, heatBox, poolBox, annBox);
  const abort = new AbortController();
  const signal = abort.signal;

  const load = async () => {
    const range = resolveRange(state.from, state.to);
    if (typeof range === 'string') return err.show(range);
    status.textContent = 'Loading…';
    // Alerts do not depend on the service's metrics.
    void renderAlerts(alertsBox, state, signal);
    let annotations: Annotation[] | null = [];
    try {
      const [sources, ann] = await Promise.all([fetchSources(range, signal), fetchAnnotations(range, signal).catch((e) => (isAbort(e) ? Promise.reject(e) : []))]);
      annotations = ann;
      const services = [...new Set(sources.all.flatMap((s) => s.services))].sort();
      for (const s of services) serviceSel.append(h('option', { attrs: { value: s } }, s));
      if (!state.service && services.length === 1) state.service = services[0];
      if (state.service && !services.includes(state.service)) serviceSel.append(h('option', { attrs: { value: state.service } }, state.service));
      serviceSel.value = state.service;
      renderAnnotations(annBox, annotations, state);
      if (!state.service) {
        status.textContent = services.length ? 'Pick a service.' : 'No request metrics yet: neither http_server_request_duration_seconds nor span metrics (traces_spanmetrics_calls_total) have series in this window.';
        return;
      }
      const src = sourceFor(sources, state.service);
      if (!src) {
        status.textContent = `No request metrics for service "${state.service}" in this window.`;
        return;
      }
      const markers = annotationMarkers(annotations ?? [], range, state.service);
      const stepS = autoStep(range.fromMs, range.toMs);
      const w = rateWindow(stepS);
      status.textContent = `From ${src.kind === 'sdk' ? 'the SDK\u2019s request histogram' : 'span metrics'}; rates over ${w} per point, ${Math.round((range.toMs - range.fromMs) / 1000)}s in the table.`;
      await Promise.all([
        renderTable(tableBox, src, state, range, signal, (r) => {
          routeSel.value = r;
          run();
        }).then((routes) => {
          for (const r of routes) routeSel.append(h('option', { attrs: { value: r } }, r));
          if (state.route && !routes.includes(state.route)) routeSel.append(h('option', { attrs: { value: state.route } }, state.route));
          routeSel.value = state.route;
        }),
        redCharts(chartsBox, src, state.service, state.route, range, stepS, w, markers, signal),
        renderHeatmap(heatBox, src, state, range, stepS, w, markers, signal, app),
        renderPool(poolBox, src, state.service, range, stepS, markers, signal),
      ]);
      el.dataset.ready = '1';
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      err.show(e instanceof ApiError ? e.message : String(e));
    }
  };
  void load();
  return { el, queryInput: serviceSel, destroy: () => abort.abort() };
}

async function renderAlerts(el: HTMLElement, state: State, signal: AbortSignal): Promise<void> {
  let alerts: Alert[] | null;
  try {
    alerts = await fetchAlerts(signal);
  } catch (e) {
    if (!isAbort(e)) el.append(h('div', { class: 'muted' }, `Alerts: ${e instanceof Error ? e.message : String(e)}`));
    return;
  }
  clear(el);
  if (alerts === null) {
    el.append(h('span', { class: 'muted' }, 'Alerts: not available on this server.'));
    return;
  }
  if (!alerts.length) {
    el.append(h('span', { class: 'alert-chip alert-ok' }, 'No alerts pending or firing'));
    return;
  }
  for (const a of alerts) {
    const service = a.labels.service_name ?? a.labels.service ?? a.labels.job ?? state.service;
    const since = Number.isFinite(a.activeAtMs) ? a.activeAtMs : Date.now();
    el.append(
      h(
        'span',
        { class: `alert-chip alert-${a.state === 'firing' ? 'firing' : 'pending'}`, title: [a.summary, ...Object.entries(a.labels).map(([k, v]) => `${k}=${v}`)].filter(Boolean).join('\n') },
        h('strong', null, a.state),
        ' ',
        a.name,
        ' ',
        h('span', { class: 'muted' }, `since ${formatTime(since)}`),
        ' ',
        appLink(overviewHref({ service, from: isoTime(since - 30 * 60e3), to: 'now' }), 'window'),
        ' · ',
        appLink(incidentHref({ alert: a.name }), 'report'),
      ),
    );
  }
}

// One row per route plus the service's total; numbers over the whole window
// (rate of the window's increase), so they match the same PromQL at `to`.
async function renderTable(el: HTMLElement, src: RedSource, state: State, range: Range, signal: AbortSignal, pickRoute: (r: string) => void): Promise<string[]> {
  const w = `${Math.max(1, Math.round((range.toMs - range.fromMs) / 1000))}s`;
  const all = redQueries(src, state.service, '', w, false);
  const by = redQueries(src, state.service, '', w, true);
  const [rows, totals] = await Promise.all([
    Promise.all([by.rate, by.errors, by.p50, by.p95, by.p99].map((q) => instantQuery(q, range.toMs, signal))),
    Promise.all([all.rate, all.errors, all.p50, all.p95, all.p99].map((q) => instantQuery(q, range.toMs, signal))),
  ]);
  const routes = [...new Set(rows[0].map((s) => s.labels[src.routeLabel] ?? ''))].sort();
  const value = (list: Series[], route: string | null) => {
    const s = route === null ? list[0] : list.find((x) => (x.labels[src.routeLabel] ?? '') === route);
    return s?.points[0]?.[1] ?? NaN;
  };
  const fmts = [formatRate, formatRatio, formatSeconds, formatSeconds, formatSeconds];
  const keys = ['rate', 'errors', 'p50', 'p95', 'p99'];
  const cells = (lists: Series[][], route: string | null) =>
    lists.map((l, i) => {
      const v = value(l, route);
      return h('td', { class: `num${i === 1 && v > 0 ? ' bad' : ''}`, attrs: { 'data-metric': keys[i], 'data-value': String(v) } }, fmts[i](v));
    });
  const rowFor = (route: string) => {
    const tr = h('tr', { class: `result-row${route === state.route ? ' selected' : ''}`, attrs: { tabindex: '0', 'data-route': route, title: 'Enter or click: this route only' } }, h('td', null, route || '(no route)'), ...cells(rows, route));
    tr.addEventListener('click', () => pickRoute(route));
    tr.addEventListener('keydown', (e) => e.key === 'Enter' && pickRoute(route));
    return tr;
  };
  clear(el);
  el.append(
    h(
      'table',
      { class: 'table red-table' },
      h('thead', null, h('tr', null, h('th', null, src.routeLabel === 'span_name' ? 'Operation' : 'Route'), ...['Rate', 'Errors', 'p50', 'p95', 'p99'].map((t) => h('th', { class: 'num' }, t)))),
      h('tbody', null, h('tr', { class: 'red-total', attrs: { 'data-route': '*' } }, h('td', null, h('strong', null, `${state.service} (all)`)), ...cells(totals, null)), ...routes.map(rowFor)),
    ),
  );
  return routes;
}

async function renderHeatmap(el: HTMLElement, src: RedSource, state: State, range: Range, stepS: number, w: string, markers: import('../charts').Marker[], signal: AbortSignal, app: AppContext): Promise<void> {
  const q = redQueries(src, state.service, state.route, w, false);
  const [charts, buckets, ex] = await Promise.all([
    import('../charts'),
    rangeQuery(q.buckets, range, stepS, signal),
    getJson<{ data?: unknown }>('/api/v1/query_exemplars', { query: q.exemplars, start: String(range.fromMs / 1000), end: String(range.toMs / 1000) }, signal).catch((e) => {
      if (isAbort(e)) throw e;
      return { data: [] };
    }),
  ]);
  const hm = heatmapFromBuckets(buckets);
  clear(el);
  if (!hm) {
    el.append(h('div', { class: 'muted' }, 'No latency buckets in this window.'));
    return;
  }
  const exemplars = parseExemplars(ex.data);
  el.append(
    charts.heatmapChart({
      heatmap: hm,
      exemplars,
      range,
      stepS,
      markers,
      exemplarHref: (e) => (normalizeTraceId(e.traceId) ? traceHref(e.traceId, e.spanId) : null),
      onCell: (lower, upper, fromMs, toMs) => app.navigate(tracesHref({ q: bucketTraceQl(state.service, src.kind === 'sdk' ? state.route : '', lower, upper), from: isoTime(fromMs), to: isoTime(toMs) })),
    }),
    h('div', { class: 'muted' }, `${exemplars.length} exemplars`),
  );
}

// Gauges of db_*connections* series (the pool of the checkout example):
// the last value against the window's maximum, or the pool's max when a
// series says so (a "max"/"limit" state or name).
async function renderPool(el: HTMLElement, src: RedSource, service: string, range: Range, stepS: number, markers: import('../charts').Marker[], signal: AbortSignal): Promise<void> {
  const sel = `{__name__=~"db_.*connections.*"}`;
  let series: Series[];
  try {
    series = await rangeQuery(sel, range, stepS, signal);
  } catch (e) {
    if (isAbort(e)) throw e;
    return;
  }
  const mine = series.filter((s) => s.points.length && (!(src.serviceLabel in s.labels) || s.labels[src.serviceLabel] === service));
  clear(el);
  if (!mine.length) return;
  const label = (s: Series) => `${s.labels.__name__}${s.labels.state ? ` (${s.labels.state})` : ''}`;
  const last = (s: Series) => s.points[s.points.length - 1][1];
  const isMax = (s: Series) => /max|limit|capacity/i.test(`${s.labels.__name__} ${s.labels.state ?? ''}`);
  const limit = Math.max(0, ...mine.filter(isMax).map(last));
  const gauges = h('div', { class: 'gauges' });
  for (const s of mine.filter((x) => !isMax(x))) {
    const v = last(s);
    const peak = Math.max(...s.points.map(([, x]) => x).filter(Number.isFinite));
    const max = limit || Math.max(peak, 1);
    const frac = Math.min(1, Math.max(0, v / max));
    gauges.append(
      h(
        'div',
        { class: 'gauge', attrs: { 'data-series': label(s) } },
        h('div', { class: 'gauge-label' }, label(s)),
        h('div', { class: `gauge-bar${frac >= 0.9 ? ' full' : ''}`, attrs: { role: 'meter', 'aria-valuenow': String(v), 'aria-valuemin': '0', 'aria-valuemax': String(max), 'aria-label': label(s) } }, h('div', { class: 'gauge-fill', style: { width: `${frac * 100}%` } })),
        h('div', { class: 'gauge-value num' }, `${+v.toFixed(2)} / ${+max.toFixed(2)}${limit ? '' : ' (window peak)'}`),
      ),
    );
  }
  const { timeChart } = await import('../charts');
  el.append(h('h2', null, 'Database connection pool'), gauges, timeChart({ title: 'Pool connections', series: mine, labelOf: label, format: (v) => String(+v.toFixed(2)), range, markers }));
}

function renderAnnotations(el: HTMLElement, list: Annotation[] | null, state: State): void {
  clear(el);
  el.append(h('h2', null, 'Annotations'));
  if (list === null) {
    el.append(h('div', { class: 'muted' }, 'Annotations: not available on this server.'));
    return;
  }
  if (!list.length) {
    el.append(h('div', { class: 'muted' }, 'No deploys or migrations annotated in this window.'));
    return;
  }
  const range = resolveRange(state.from, state.to);
  const len = typeof range === 'string' ? 3600e3 : range.toMs - range.fromMs;
  el.append(
    h(
      'ul',
      { class: 'annotation-list' },
      ...list.map((a) =>
        h(
          'li',
          null,
          h('span', { class: 'log-time' }, formatTime(a.timeMs)),
          ' ',
          a.text,
          ' ',
          ...a.tags.map((t) => h('span', { class: 'chip' }, t)),
          ' ',
          appLink(overviewHref({ service: state.service || undefined, from: isoTime(a.timeMs), to: isoTime(a.timeMs + len) }), 'window after it'),
        ),
      ),
    ),
  );
}
