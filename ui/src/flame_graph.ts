// A flame graph on one canvas: no DOM per node, so 100k nodes draw in a few
// milliseconds (nodes narrower than a third of a pixel are skipped, and each
// level is entered by binary search at the zoomed range). Click zooms into a
// node (its ancestors stay as full-width bars), a click on the root or
// reset() shows everything; search dims what does not match; diff flames
// colour each node by its share change (red grew, green shrank). Hover shows
// a tooltip (DOM text). The canvas is focusable: Esc resets the zoom.
// Names are drawn with fillText, which never interprets markup.

import { h } from './dom';
import { firstNodeEndingAfter, formatTicks, isAncestorOrSelf, levels, nodeAt, percent, shareChange, type Flame } from './flame_model';

const kRow = 18;

export interface FlameGraphOptions {
  label: string;
  // The zoomed node changed (-1: none); the view puts it in the URL.
  onZoom?: (node: number) => void;
  // A node was chosen with a modifier or from the context: open its sandwich.
  onSelectName?: (nameIndex: number) => void;
}

export class FlameGraph {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private zoom = -1;
  private mask: Uint8Array | null = null;
  private hover = -1;
  private frame = 0;
  private readonly resize: ResizeObserver;
  private readonly theme: MutationObserver;

  constructor(
    private flame: Flame,
    private readonly opts: FlameGraphOptions,
  ) {
    this.canvas = h('canvas', { class: 'flame-canvas', attrs: { tabindex: '0', role: 'img', 'aria-label': opts.label } });
    this.tip = h('div', { class: 'flame-tip', attrs: { role: 'status' } });
    this.tip.hidden = true;
    this.el = h('div', { class: 'flame' }, this.canvas, this.tip);
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = -1;
      this.tip.hidden = true;
      this.schedule();
    });
    this.canvas.addEventListener('click', (e) => {
      const n = this.nodeAtEvent(e);
      if (n < 0) return;
      if ((e.altKey || e.shiftKey) && this.opts.onSelectName) return this.opts.onSelectName(this.flame.name[n]);
      this.setZoom(n === this.zoom || this.flame.parent[n] < 0 ? -1 : n, true);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.el);
    // Colours of dimmed frames and text follow the theme.
    this.theme = new MutationObserver(() => this.schedule());
    this.theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  }

  setFlame(f: Flame): void {
    this.flame = f;
    this.zoom = -1;
    this.mask = null;
    this.schedule();
  }

  setSearch(mask: Uint8Array | null): void {
    this.mask = mask && mask.some((v) => v) ? mask : null;
    this.schedule();
  }

  setZoom(node: number, notify = false): void {
    this.zoom = node >= 0 && node < this.flame.name.length ? node : -1;
    if (notify) this.opts.onZoom?.(this.zoom);
    this.schedule();
  }

  get zoomed(): number {
    return this.zoom;
  }

  destroy(): void {
    this.resize.disconnect();
    this.theme.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private range(): [number, number] {
    const f = this.flame;
    return this.zoom >= 0 ? [f.x[this.zoom], f.total[this.zoom]] : [0, f.numTicks || 1];
  }

  private nodeAtEvent(e: MouseEvent): number {
    const rect = this.canvas.getBoundingClientRect();
    const L = Math.floor((e.clientY - rect.top) / kRow);
    const [x0, w] = this.range();
    const x = x0 + ((e.clientX - rect.left) / rect.width) * w;
    const n = nodeAt(this.flame, L, x);
    // Above the zoomed node only its ancestors are drawn.
    if (n >= 0 && this.zoom >= 0 && this.flame.level[n] < this.flame.level[this.zoom] && !isAncestorOrSelf(this.flame, n, this.zoom)) return -1;
    return n;
  }

  // Keyboard: arrows walk the frames (Up: caller, Down: first callee,
  // Left/Right: neighbours on the level), Enter zooms, Esc resets.
  private onKey(e: KeyboardEvent): void {
    const f = this.flame;
    if (e.key === 'Escape' && this.zoom >= 0) {
      e.stopPropagation();
      this.setZoom(-1, true);
      return;
    }
    let n = this.hover >= 0 ? this.hover : this.zoom >= 0 ? this.zoom : f.name.length ? 0 : -1;
    if (n < 0) return;
    const L = f.level[n];
    if (e.key === 'ArrowUp' && f.parent[n] >= 0) n = f.parent[n];
    else if (e.key === 'ArrowDown') {
      const c = nodeAt(f, L + 1, f.x[n]);
      if (c >= 0 && f.parent[c] === n) n = c;
    } else if (e.key === 'ArrowLeft' && n > f.levelStart[L]) n--;
    else if (e.key === 'ArrowRight' && n + 1 < f.levelStart[L + 1]) n++;
    else if (e.key === 'Enter') {
      this.setZoom(f.parent[n] < 0 ? -1 : n, true);
      e.preventDefault();
      return;
    } else if (!['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'].includes(e.key)) return;
    e.preventDefault();
    this.hover = n;
    this.showTip(n, 8, (L + 1) * kRow + 4);
    this.canvas.setAttribute('aria-label', `${this.opts.label}: ${f.names[f.name[n]]}, ${percent(f.total[n], f.numTicks)} of the total`);
    this.schedule();
  }

  private onMove(e: MouseEvent): void {
    const n = this.nodeAtEvent(e);
    if (n !== this.hover) {
      this.hover = n;
      this.schedule();
    }
    if (n < 0) {
      this.tip.hidden = true;
      return;
    }
    const rect = this.el.getBoundingClientRect();
    this.showTip(n, e.clientX - rect.left + 12, e.clientY - rect.top + 14);
  }

  private showTip(n: number, left: number, top: number): void {
    const f = this.flame;
    const lines = [
      f.names[f.name[n]],
      `total ${formatTicks(f, f.total[n])} (${percent(f.total[n], f.numTicks)}), self ${formatTicks(f, f.self[n])} (${percent(f.self[n], f.numTicks)})`,
    ];
    if (f.diff) {
      lines.push(`baseline ${percent(f.leftTotal[n], f.leftTicks)} → ${percent(f.rightTotal[n], f.rightTicks)} (${signedPct(shareChange(f, n))})`);
    }
    lines.push('click/Enter: zoom · shift+click: sandwich · arrows: move');
    this.tip.textContent = lines.join('\n');
    this.tip.hidden = false;
    this.tip.style.left = `${Math.max(0, Math.min(left, this.el.clientWidth - 320))}px`;
    this.tip.style.top = `${top}px`;
  }

  // Draws now (tests and first paint need not wait for a frame).
  draw(): void {
    const f = this.flame;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(200, this.el.clientWidth || 900);
    const nLevels = levels(f);
    const height = Math.max(1, nLevels) * kRow;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const styles = getComputedStyle(document.documentElement);
    const fg = '#111';
    const dim = styles.getPropertyValue('--bar-bg').trim() || '#ddd';
    const dimText = styles.getPropertyValue('--muted').trim() || '#888';
    ctx.font = `12px ${styles.getPropertyValue('--mono').trim() || 'monospace'}`;
    ctx.textBaseline = 'middle';
    const [x0, w] = this.range();
    const scale = width / w;
    const zLevel = this.zoom >= 0 ? f.level[this.zoom] : 0;
    const minWidth = 1 / 3;
    let drawn = 0;
    for (let L = 0; L < nLevels; L++) {
      const y = L * kRow;
      const start = L < zLevel ? -1 : firstNodeEndingAfter(f, L, x0);
      if (L < zLevel) {
        // Ancestors of the zoomed node span the whole width.
        let a = this.zoom;
        while (a >= 0 && f.level[a] > L) a = f.parent[a];
        if (a >= 0) drawn += this.drawNode(ctx, a, 0, width, y, dim, fg, dimText, true);
        continue;
      }
      const end = f.levelStart[L + 1];
      for (let n = start; n < end; n++) {
        const nx = f.x[n];
        if (nx >= x0 + w) break;
        const px = (nx - x0) * scale;
        const pw = f.total[n] * scale;
        if (pw < minWidth) continue;
        drawn += this.drawNode(ctx, n, px, pw, y, dim, fg, dimText, false);
      }
    }
    this.canvas.dataset.drawn = String(drawn);
  }

  private drawNode(ctx: CanvasRenderingContext2D, n: number, px: number, pw: number, y: number, dim: string, fg: string, dimText: string, faded: boolean): number {
    const f = this.flame;
    const matched = !this.mask || this.mask[f.name[n]] === 1;
    ctx.fillStyle = !matched ? dim : f.diff ? diffColor(shareChange(f, n)) : nameColor(f.names[f.name[n]]);
    ctx.globalAlpha = faded ? 0.55 : 1;
    ctx.fillRect(px, y, Math.max(pw - (pw > 3 ? 1 : 0), 0.5), kRow - 1);
    if (n === this.hover) {
      ctx.strokeStyle = fg;
      ctx.lineWidth = 1;
      ctx.strokeRect(px + 0.5, y + 0.5, Math.max(pw - 1, 1), kRow - 2);
    }
    ctx.globalAlpha = 1;
    if (pw > 24) {
      const name = f.names[f.name[n]];
      const max = Math.floor((pw - 6) / 7.2);
      ctx.fillStyle = matched ? fg : dimText;
      ctx.fillText(name.length > max ? name.slice(0, Math.max(0, max - 1)) + '…' : name, px + 3, y + kRow / 2, pw - 4);
    }
    return 1;
  }
}

function signedPct(v: number): string {
  return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pp`;
}

// Warm colours by a hash of the function's package/class prefix, so frames of
// one library share a hue (as in most flame graph tools).
function nameColor(name: string): string {
  const prefix = name.split(/::|\.|\//)[0] ?? name;
  let hash = 2166136261;
  for (let i = 0; i < prefix.length; i++) hash = Math.imul(hash ^ prefix.charCodeAt(i), 16777619);
  const v = (hash >>> 0) / 4294967296;
  const hue = 10 + Math.floor(v * 45);
  const light = 62 + Math.floor(((hash >>> 8) & 0xff) / 32);
  return `hsl(${hue}, 78%, ${light}%)`;
}

// Red when the share grew, green when it shrank, grey when unchanged; a
// change of 5 percentage points or more is the full colour.
export function diffColor(change: number): string {
  const t = Math.min(1, Math.abs(change) / 0.05);
  if (t < 0.02) return 'hsl(0, 0%, 78%)';
  const hue = change > 0 ? 0 : 125;
  return `hsl(${hue}, ${Math.round(25 + 60 * t)}%, ${Math.round(78 - 22 * t)}%)`;
}
