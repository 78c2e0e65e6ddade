// The incident page: the report of GET /api/v1/incident (the same JSON as
// `quartet incident --format json`) for a service and window or for an
// alert, as four ranked lists — is it broken, who is affected, where, why —
// each finding with its baseline and incident figures and the links that
// open its evidence, then the RED charts of the window with the baseline
// shaded and the annotations marked.
// State in the URL: /ui/incident?service=&from=&to= or /ui/incident?alert=.

import { ApiError, getJson, isAbort } from '../api';
import { appLink, clear, errorBox, h } from '../dom';
import { parseReport, type Finding, type Report } from '../incident_model';
import { autoStep, rateWindow } from '../red_model';
import { overviewHref, type Route } from '../routes';
import { annotationMarkers, fetchAnnotations, fetchSources, redCharts, sourceFor } from '../signals';
import { formatTime, isoTime, resolveRange } from '../time';
import type { AppContext, View } from '../view';

const kSections: Array<[keyof Pick<Report, 'broken' | 'who' | 'where' | 'why'>, string, string]> = [
  ['broken', 'Is it broken?', 'Nothing is broken in this window: no alert, error rate or latency percentile moved against the baseline.'],
  ['who', 'Who is affected?', 'No attribute value is over-represented among the slow or failed requests.'],
  ['where', 'Where did it break?', 'No span grew its share of duration or errors.'],
  ['why', 'Why?', 'No evidence found in logs, profiles or annotations.'],
];

export function incidentView(route: Route, app: AppContext): View {
  const p = route.params;
  const state = { service: p.get('service') ?? '', from: p.get('from') ?? 'now-1h', to: p.get('to') ?? 'now', alert: p.get('alert') ?? '' };
  const service = h('input', { class: 'time-input', attrs: { type: 'text', placeholder: 'service', 'aria-label': 'Service', 'data-query-input': '' } });
  const from = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'From' } });
  const to = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'To' } });
  service.value = state.service;
  from.value = state.from;
  to.value = state.to;
  const run = () => app.navigate(`/ui/incident?${new URLSearchParams({ service: service.value.trim(), from: from.value.trim() || 'now-1h', to: to.value.trim() || 'now' })}`);
  for (const i of [service, from, to]) i.addEventListener('keydown', (e) => e.key === 'Enter' && run());
  const err = errorBox();
  const status = h('div', { class: 'status muted', attrs: { 'aria-live': 'polite' } });
  const head = h('div', { class: 'incident-head' });
  const body = h('div', { class: 'incident-body' });
  const evidence = h('section', { class: 'incident-evidence', attrs: { 'aria-label': 'Evidence charts' } });
  const el = h(
    'section',
    { class: 'view view-incident' },
    h('h1', null, 'Incident report'),
    h('div', { class: 'query-bar' }, h('div', { class: 'query-row' }, service, from, h('span', { class: 'muted' }, 'to'), to, h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: run } }, 'Report')), err.el),
    status,
    head,
    body,
    evidence,
  );
  const abort = new AbortController();

  const load = async () => {
    let params: Record<string, string>;
    if (state.alert) {
      params = { alert: state.alert };
    } else {
      if (!state.service) {
        status.textContent = 'Name a service and a window (or open the report of an alert from the overview).';
        return;
      }
      const range = resolveRange(state.from, state.to);
      if (typeof range === 'string') return err.show(range);
      params = { service: state.service, from: String(Math.floor(range.fromMs / 1000)), to: String(Math.ceil(range.toMs / 1000)) };
    }
    status.textContent = 'Asking quartetd for the report…';
    let report: Report;
    try {
      const parsed = parseReport(await getJson<unknown>('/api/v1/incident', params, abort.signal));
      if (typeof parsed === 'string') throw new ApiError(200, `cannot read the report: ${parsed}`);
      report = parsed;
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      if (e instanceof ApiError && e.status === 404 && /no route for/.test(e.message)) {
        err.show('Incident reports are not available on this server yet (no /api/v1/incident). `quartet incident` prints the same report.');
      } else err.show(e instanceof ApiError ? e.message : String(e));
      return;
    }
    status.textContent = '';
    // An alert's report names its service and window: show them in the form.
    if (state.alert && report.service && report.windowMs) {
      service.value = report.service;
      from.value = isoTime(report.windowMs[0]);
      to.value = isoTime(report.windowMs[1]);
    }
    renderHead(head, report);
    for (const [key, title, none] of kSections) body.append(renderSection(key, title, none, report[key]));
    if (report.conclusion) body.append(h('section', { class: 'incident-conclusion' }, h('h2', null, 'Conclusion'), h('p', null, report.conclusion)));
    el.dataset.ready = '1';
    try {
      await renderEvidence(evidence, report, abort.signal);
    } catch (e) {
      if (!isAbort(e)) evidence.append(h('div', { class: 'error' }, e instanceof ApiError ? e.message : String(e)));
    }
  };
  void load();
  return { el, queryInput: service, destroy: () => abort.abort() };
}

function renderHead(el: HTMLElement, r: Report): void {
  const span = (w: [number, number] | null) => (w ? `${formatTime(w[0])} → ${formatTime(w[1])}` : '—');
  const broken = r.broken.length > 0;
  el.append(
    h('div', { class: `incident-verdict ${broken ? 'verdict-broken' : 'verdict-ok'}`, attrs: { role: 'status' } }, broken ? `${r.service || 'The service'} is broken` : `${r.service || 'The service'}: nothing is broken`),
    h(
      'div',
      { class: 'facts' },
      fact('Service', r.service || '—'),
      fact('Window', span(r.windowMs)),
      fact('Baseline', span(r.baselineMs)),
      fact('Onset', r.onsetMs !== null ? formatTime(r.onsetMs) : '—'),
      r.windowMs && r.service ? h('div', { class: 'fact' }, appLink(overviewHref({ service: r.service, from: isoTime(r.baselineMs?.[0] ?? r.windowMs[0]), to: isoTime(r.windowMs[1]) }), 'Open the overview')) : null,
    ),
  );
}

function fact(label: string, value: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value' }, value));
}

function renderSection(key: string, title: string, none: string, list: Finding[]): HTMLElement {
  const sec = h('section', { class: `incident-section incident-${key}`, attrs: { 'data-section': key } }, h('h2', null, title));
  if (!list.length) {
    sec.append(h('p', { class: 'muted' }, none));
    return sec;
  }
  const withUnit = (v: string, u: string) => (v === '' ? '—' : u && u !== 'ratio' ? `${v} ${u}` : v);
  sec.append(
    h(
      'ol',
      { class: 'findings' },
      ...list.slice(0, 10).map((f) =>
        h(
          'li',
          { class: 'finding' },
          h('div', { class: 'finding-summary' }, f.summary || '(no summary)'),
          h(
            'div',
            { class: 'finding-meta' },
            f.signal ? h('span', { class: 'chip' }, f.signal) : null,
            ...f.subject.map(([k, v]) => h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, `${k}=`), v)),
            f.baseline || f.incident ? h('span', { class: 'finding-figures num' }, `${withUnit(f.baseline, f.unit)} → ${withUnit(f.incident, f.unit)}`) : null,
            Number.isFinite(f.score) ? h('span', { class: 'muted num' }, `score ${+f.score.toFixed(3)}`) : null,
          ),
          f.links.length
            ? h(
                'div',
                { class: 'finding-links' },
                ...f.links.map((l) => (l.app ? appLink(l.href, l.label) : h('a', { attrs: { href: l.href, rel: 'noopener', target: '_blank' } }, l.label))).map((a) => {
                  a.title = a.getAttribute('href') ?? '';
                  return a;
                }),
              )
            : null,
        ),
      ),
    ),
  );
  return sec;
}

// The RED charts over baseline + window, the baseline shaded.
async function renderEvidence(el: HTMLElement, r: Report, signal: AbortSignal): Promise<void> {
  if (!r.service || !r.windowMs) return;
  const range = { fromMs: Math.min(r.windowMs[0], r.baselineMs?.[0] ?? r.windowMs[0]), toMs: r.windowMs[1] };
  if (!(range.toMs > range.fromMs)) return;
  const shade = r.baselineMs ? { fromMs: r.baselineMs[0], toMs: r.baselineMs[1] } : undefined;
  const [sources, ann] = await Promise.all([fetchSources(range, signal), fetchAnnotations(range, signal).catch(() => null)]);
  const src = sourceFor(sources, r.service);
  clear(el);
  el.append(h('h2', null, 'Evidence: RED of the window (baseline shaded)'));
  if (!src) {
    el.append(h('div', { class: 'muted' }, `No request metrics for ${r.service} in this window.`));
    return;
  }
  const stepS = autoStep(range.fromMs, range.toMs);
  const markers = annotationMarkers(ann ?? [], range, r.service);
  if (r.onsetMs !== null) markers.push({ timeMs: r.onsetMs, text: 'onset', href: overviewHref({ service: r.service, from: isoTime(r.onsetMs), to: isoTime(r.windowMs[1]) }) });
  await redCharts(el, src, r.service, '', range, stepS, rateWindow(stepS), markers, signal, shade);
}
