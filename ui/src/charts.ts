// The overview's and the incident page's charts: uPlot time series with
// annotations (deploys, migrations) as vertical markers and an optional
// shaded baseline window, and a canvas latency heatmap with exemplar dots.
// Markers and exemplar dots are few, so they are links (DOM <a> elements
// over the plot: focusable, with hover text, opened by the app's router);
// heatmap cells are many, so they are pixels with a click handler. Loaded on
// first use (uPlot is most of its weight); its CSS is in main.ts.

import uPlot from 'uplot';
import { appLink, clip, h, serviceColor } from './dom';
import { bucketOf, formatPercentTicks, heatmapExtent, ratioRange, type Exemplar, type Heatmap, type Series } from './red_model';
import { formatTime, type Range } from './time';

export interface Marker {
  timeMs: number;
  text: string;
  href: string; // an app link (built by the app from numbers)
}

export interface ChartOptions {
  title: string;
  series: Series[];
  labelOf: (s: Series) => string;
  format: (v: number) => string;
  range: Range;
  markers: Marker[];
  shade?: Range; // the baseline window, drawn as a band
  height?: number;
  // Values are ratios (0..1): the y axis is in percent with only the
  // decimals its ticks need, from 0 to just above the highest value.
  ratio?: boolean;
}

const kMaxSeries = 12;

function themeColors() {
  const styles = getComputedStyle(document.documentElement);
  return {
    axis: styles.getPropertyValue('--muted').trim() || '#888',
    grid: styles.getPropertyValue('--border').trim() || '#ddd',
    marker: styles.getPropertyValue('--warn').trim() || '#b26a00',
    shade: styles.getPropertyValue('--row-active').trim() || '#dce7fb',
  };
}

// Calls `redraw` when the theme changes (toggle or system), while `el` is
// in the page; canvases take their colours from the theme when drawn.
export function onThemeChange(el: HTMLElement, redraw: () => void): void {
  const media = matchMedia('(prefers-color-scheme: dark)');
  const fire = () => {
    if (!el.isConnected) {
      observer.disconnect();
      media.removeEventListener('change', fire);
      return;
    }
    redraw();
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  media.addEventListener('change', fire);
}

function markerLink(m: Marker, leftPx: number): HTMLAnchorElement {
  const a = appLink(m.href, h('span', { class: 'marker-label' }, clip(m.text, 40)));
  a.className = 'marker';
  a.title = `${formatTime(m.timeMs)}  ${m.text}\nClick: the window after it`;
  a.setAttribute('aria-label', `Annotation at ${formatTime(m.timeMs)}: ${m.text}`);
  a.style.left = `${leftPx}px`;
  return a;
}

export function timeChart(opts: ChartOptions): HTMLElement {
  const shown = opts.series.slice(0, kMaxSeries);
  const box = h('figure', { class: 'chart red-chart', attrs: { 'aria-label': opts.title } }, h('figcaption', null, opts.title));
  if (!shown.length) {
    box.append(h('div', { class: 'muted chart-empty' }, 'No data in this window.'));
    return box;
  }
  const xs = [...new Set(shown.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const data: uPlot.AlignedData = [
    xs,
    ...shown.map((s) => {
      const ys: Array<number | null> = new Array(xs.length).fill(null);
      for (const [t, v] of s.points) ys[index.get(t)!] = Number.isFinite(v) ? v : null;
      return ys;
    }),
  ];
  let c = themeColors();
  const axis = { stroke: () => c.axis, grid: { stroke: () => c.grid, width: 1 }, ticks: { stroke: () => c.grid, width: 1 } };
  const plot = h('div', { class: 'chart-plot' });
  box.append(plot);
  const markers: HTMLAnchorElement[] = [];
  const width = () => Math.max(280, (box.clientWidth || 468) - 18);
  const u = new uPlot(
    {
      width: width(),
      height: opts.height ?? 180,
      scales: {
        x: { time: true, range: [opts.range.fromMs / 1000, opts.range.toMs / 1000] },
        ...(opts.ratio ? { y: { range: (_u: uPlot, _min: number | null, max: number | null) => ratioRange(max) } } : {}),
      },
      axes: [axis, { ...axis, size: 64, values: (_u, vals) => (opts.ratio ? formatPercentTicks(vals) : vals.map((v) => opts.format(v))) }],
      series: [{}, ...shown.map((s) => ({ label: opts.labelOf(s), stroke: serviceColor(opts.labelOf(s)), width: 1.5, value: (_u: uPlot, v: number | null) => (v === null ? '—' : opts.format(v)) }))],
      legend: { show: true },
      hooks: {
        drawClear: [
          (u) => {
            if (!opts.shade) return;
            const ctx = u.ctx;
            const x0 = u.valToPos(opts.shade.fromMs / 1000, 'x', true);
            const x1 = u.valToPos(opts.shade.toMs / 1000, 'x', true);
            const l = Math.max(u.bbox.left, Math.min(x0, x1));
            const r = Math.min(u.bbox.left + u.bbox.width, Math.max(x0, x1));
            if (r <= l) return;
            ctx.save();
            ctx.fillStyle = c.shade;
            ctx.globalAlpha = 0.6;
            ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height);
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = c.marker;
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash([5 * devicePixelRatio, 3 * devicePixelRatio]);
            for (const m of opts.markers) {
              const x = Math.round(u.valToPos(m.timeMs / 1000, 'x', true));
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
            for (const a of markers) a.remove();
            markers.length = 0;
            for (const m of opts.markers) {
              const x = u.valToPos(m.timeMs / 1000, 'x');
              if (x < 0 || x > u.bbox.width / devicePixelRatio) continue;
              const a = markerLink(m, x);
              markers.push(a);
              u.over.append(a);
            }
          },
        ],
      },
    },
    data,
    plot,
  );
  new ResizeObserver(() => {
    const w = width();
    if (Math.abs(w - u.width) > 4) u.setSize({ width: w, height: u.height });
  }).observe(box);
  onThemeChange(box, () => {
    c = themeColors();
    u.redraw(false, true);
  });
  if (opts.series.length > kMaxSeries) box.append(h('div', { class: 'muted' }, `First ${kMaxSeries} of ${opts.series.length} series.`));
  return box;
}

export interface HeatmapOptions {
  heatmap: Heatmap;
  exemplars: Exemplar[];
  range: Range;
  stepS: number;
  markers: Marker[];
  exemplarHref: (e: Exemplar) => string | null;
  // A click on a cell: the bucket's bounds (seconds) and time window (ms).
  onCell: (lower: number, upper: number, fromMs: number, toMs: number) => void;
}

const kAxisLeft = 64;
const kAxisBottom = 22;

export function heatmapChart(opts: HeatmapOptions): HTMLElement {
  const hm = opts.heatmap;
  const canvas = h('canvas', { class: 'heatmap-canvas', attrs: { role: 'img', 'aria-label': 'Latency heatmap: requests per latency bucket over time; click a cell for its traces' } });
  const over = h('div', { class: 'heatmap-over' });
  const tip = h('div', { class: 'flame-tip', attrs: { role: 'status' } });
  tip.hidden = true;
  const box = h('figure', { class: 'chart heatmap' }, h('figcaption', null, 'Latency heatmap (exemplar dots open their trace)'), h('div', { class: 'heatmap-plot' }, canvas, over, tip));
  const nb = hm.bounds.length;
  const nt = hm.times.length;
  const height = Math.max(160, Math.min(320, nb * 16)) + kAxisBottom;
  const span = (opts.range.toMs - opts.range.fromMs) / 1000;
  const geometry = () => {
    const width = Math.max(280, (box.parentElement?.clientWidth ?? 900) - 8);
    const plotW = width - kAxisLeft - 8;
    const plotH = height - kAxisBottom;
    const xOf = (t: number) => kAxisLeft + ((t - opts.range.fromMs / 1000) / span) * plotW;
    const rowH = plotH / nb;
    const yOfBucket = (b: number) => plotH - (b + 1) * rowH;
    return { width, plotW, plotH, xOf, rowH, yOfBucket };
  };
  const label = (b: number) => (Number.isFinite(hm.bounds[b]) ? `≤ ${fmtBound(hm.bounds[b])}` : `> ${fmtBound(hm.bounds[b - 1] ?? 0)}`);
  const draw = () => {
    const g = geometry();
    const dpr = devicePixelRatio || 1;
    canvas.width = Math.round(g.width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${g.width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const c = themeColors();
    ctx.clearRect(0, 0, g.width, height);
    const cellW = Math.max(1, (opts.stepS / span) * g.plotW);
    for (let t = 0; t < nt; t++) {
      const x = g.xOf(hm.times[t]) - cellW;
      for (let b = 0; b < nb; b++) {
        const v = hm.counts[t * nb + b];
        if (!(v > 0)) continue;
        const k = Math.sqrt(v / hm.max);
        ctx.fillStyle = `hsla(${Math.round(200 - 170 * k)}, 85%, ${Math.round(62 - 22 * k)}%, ${(0.25 + 0.75 * k).toFixed(2)})`;
        ctx.fillRect(x, g.yOfBucket(b), cellW + 0.5, g.rowH - 1);
      }
    }
    ctx.fillStyle = c.axis;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const every = Math.max(1, Math.ceil(nb / Math.max(1, g.plotH / 16)));
    for (let b = 0; b < nb; b += every) ctx.fillText(label(b), 2, g.yOfBucket(b) + g.rowH / 2, kAxisLeft - 4);
    ctx.textBaseline = 'top';
    for (let i = 0; i <= 4; i++) {
      const t = opts.range.fromMs + ((opts.range.toMs - opts.range.fromMs) * i) / 4;
      const s = formatTime(t).slice(11, 19);
      const x = kAxisLeft + (g.plotW * i) / 4;
      ctx.fillText(s, Math.min(x - (i ? 24 : 0), g.width - 52), g.plotH + 5);
    }
    ctx.strokeStyle = c.marker;
    ctx.setLineDash([5, 3]);
    for (const m of opts.markers) {
      const x = Math.round(g.xOf(m.timeMs / 1000)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, g.plotH);
      ctx.stroke();
    }
    // Exemplar dots and markers as links over the canvas, both inside the
    // plot; the markers' links lie under the dots (styles.css) so a dot
    // on a marker's line stays clickable.
    over.replaceChildren();
    const right = kAxisLeft + g.plotW;
    for (const m of opts.markers) {
      const x = g.xOf(m.timeMs / 1000);
      if (x >= kAxisLeft && x <= right) over.append(markerLink(m, x));
    }
    const extent = heatmapExtent(hm.times, opts.stepS);
    for (const e of opts.exemplars.slice(0, 500)) {
      const href = opts.exemplarHref(e);
      const x = g.xOf(e.time);
      // A dot needs a column under it: none after the last one.
      if (!href || !extent || !(e.time > extent[0] && e.time <= extent[1]) || x < kAxisLeft || x > right) continue;
      const b = bucketOf(hm.bounds, e.value);
      const lower = b > 0 ? hm.bounds[b - 1] : 0;
      const upper = Number.isFinite(hm.bounds[b]) ? hm.bounds[b] : lower * 2 || 1;
      const frac = Math.min(1, Math.max(0, (e.value - lower) / (upper - lower || 1)));
      const y = g.yOfBucket(b) + g.rowH * (1 - frac);
      const a = appLink(href);
      a.className = 'exemplar';
      a.style.left = `${x}px`;
      a.style.top = `${y}px`;
      a.dataset.traceId = e.traceId;
      a.title = `exemplar ${fmtBound(e.value)} at ${formatTime(e.time * 1000)}\ntrace ${e.traceId}`;
      a.setAttribute('aria-label', `Exemplar: ${fmtBound(e.value)} at ${formatTime(e.time * 1000)}, open trace ${e.traceId}`);
      over.append(a);
    }
  };
  const cellAt = (ev: MouseEvent): [number, number] | null => {
    const g = geometry();
    const rect = canvas.getBoundingClientRect();
    const x = ev.clientX - rect.left;
    const y = ev.clientY - rect.top;
    if (x < kAxisLeft || y > g.plotH) return null;
    const b = nb - 1 - Math.floor(y / g.rowH);
    const tSec = opts.range.fromMs / 1000 + ((x - kAxisLeft) / g.plotW) * span;
    // A cell at times[t] covers (times[t] - step, times[t]].
    let t = hm.times.findIndex((ts) => ts >= tSec);
    if (t < 0) t = nt - 1;
    return b >= 0 && b < nb && t >= 0 ? [t, b] : null;
  };
  canvas.addEventListener('click', (ev) => {
    const cell = cellAt(ev);
    if (!cell) return;
    const [t, b] = cell;
    const endMs = hm.times[t] * 1000;
    opts.onCell(b > 0 ? hm.bounds[b - 1] : 0, hm.bounds[b], endMs - opts.stepS * 1000, endMs);
  });
  canvas.addEventListener('mousemove', (ev) => {
    const cell = cellAt(ev);
    if (!cell) {
      tip.hidden = true;
      return;
    }
    const [t, b] = cell;
    tip.textContent = `${formatTime(hm.times[t] * 1000)}\n${label(b)}: ${hm.counts[t * nb + b].toFixed(3)} req/s\nclick: traces of this cell`;
    tip.hidden = false;
    const rect = canvas.getBoundingClientRect();
    tip.style.left = `${Math.min(ev.clientX - rect.left + 12, rect.width - 240)}px`;
    tip.style.top = `${ev.clientY - rect.top + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.hidden = true));
  requestAnimationFrame(draw);
  onThemeChange(box, draw);
  new ResizeObserver(() => requestAnimationFrame(draw)).observe(box.parentElement ?? box);
  return box;
}

function fmtBound(s: number): string {
  if (!Number.isFinite(s)) return '+Inf';
  return s >= 1 ? `${+s.toFixed(2)}s` : s >= 0.001 ? `${+(s * 1000).toFixed(1)}ms` : `${+(s * 1e6).toFixed(0)}µs`;
}
