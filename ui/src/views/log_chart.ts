// A LogQL metric result (Prometheus "matrix") as a uPlot line chart of up to
// kMaxSeries series and a table of every series with its last and max value.
// Series labels are sender data: legend and table show them as text. Loaded
// on first use (uPlot is most of its weight); its CSS is in main.ts.

import uPlot from 'uplot';
import { clear, h, serviceColor } from '../dom';
import type { Range } from '../time';

const kMaxSeries = 10;

interface Series {
  metric?: Record<string, unknown>;
  values?: unknown[];
}

export function seriesLabel(metric: Record<string, unknown> | undefined): string {
  const parts = Object.entries(metric ?? {}).map(([k, v]) => `${k}="${String(v)}"`);
  return parts.length ? `{${parts.join(', ')}}` : '{}';
}

export function renderMetricResult(el: HTMLElement, result: unknown, range: Range): void {
  clear(el);
  const series = (Array.isArray(result) ? (result as Series[]) : []).map((s) => ({
    label: seriesLabel(s.metric),
    points: (Array.isArray(s.values) ? s.values : [])
      .filter((v): v is [unknown, unknown] => Array.isArray(v) && v.length >= 2)
      .map(([t, v]) => [Number(t), Number(v)] as [number, number])
      .filter(([t]) => Number.isFinite(t)),
  }));
  if (!series.length) {
    el.append(h('div', { class: 'muted' }, 'The query returned no series in this time range.'));
    return;
  }
  // One shared, sorted x axis; a series without a point at a time has a gap.
  const xs = [...new Set(series.slice(0, kMaxSeries).flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const data: uPlot.AlignedData = [
    xs,
    ...series.slice(0, kMaxSeries).map((s) => {
      const ys: Array<number | null> = new Array(xs.length).fill(null);
      for (const [t, v] of s.points) ys[index.get(t)!] = v;
      return ys;
    }),
  ];
  const chart = h('div', { class: 'chart', attrs: { role: 'img', 'aria-label': 'Metric query chart' } });
  const styles = getComputedStyle(document.documentElement);
  const axisColor = styles.getPropertyValue('--muted').trim() || '#888';
  const gridColor = styles.getPropertyValue('--border').trim() || '#ddd';
  const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
  el.append(chart);
  const width = Math.max(320, el.clientWidth || 900);
  new uPlot(
    {
      width,
      height: 280,
      scales: { x: { time: true, range: [range.fromMs / 1000, range.toMs / 1000] } },
      axes: [axis, { ...axis, size: 72 }],
      series: [{}, ...series.slice(0, kMaxSeries).map((s) => ({ label: s.label, stroke: serviceColor(s.label), width: 1.5, spanGaps: false }))],
      legend: { show: true },
    },
    data,
    chart,
  );
  if (series.length > kMaxSeries) el.append(h('div', { class: 'muted' }, `Chart shows the first ${kMaxSeries} of ${series.length} series; the table has all.`));
  el.append(
    h(
      'table',
      { class: 'table series-table' },
      h('thead', null, h('tr', null, h('th', null, 'Series'), h('th', { class: 'num' }, 'Last'), h('th', { class: 'num' }, 'Max'), h('th', { class: 'num' }, 'Points'))),
      h(
        'tbody',
        null,
        ...series.map((s) => {
          const vals = s.points.map(([, v]) => v);
          return h(
            'tr',
            null,
            h('td', null, h('span', { class: 'swatch', style: { background: serviceColor(s.label) } }), s.label),
            h('td', { class: 'num' }, vals.length ? String(vals[vals.length - 1]) : '—'),
            h('td', { class: 'num' }, vals.length ? String(Math.max(...vals)) : '—'),
            h('td', { class: 'num' }, String(vals.length)),
          );
        }),
      ),
    ),
  );
}
