// The query bar shared by the Explore views: a query input that remembers
// the last queries (per language, in localStorage), a time range (presets or
// typed: now-15m, RFC 3339), a Run button, and the error line where API
// errors appear. Enter runs; the view turns a run into a URL change.

import { errorBox, h } from './dom';
import { kPresets } from './time';

const kMaxHistory = 20;

export function loadHistory(key: string): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, kMaxHistory) : [];
  } catch {
    return [];
  }
}

export function remember(key: string, query: string): void {
  const q = query.trim();
  if (!q) return;
  const list = [q, ...loadHistory(key).filter((x) => x !== q)].slice(0, kMaxHistory);
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch {
    // storage full or disabled: history is a convenience
  }
}

export interface QueryBarValues {
  q: string;
  from: string;
  to: string;
}

export interface QueryBar {
  el: HTMLElement;
  input: HTMLInputElement;
  values(): QueryBarValues;
  showError(msg: string): void;
  clearError(): void;
}

export function queryBar(opts: {
  label: string;
  placeholder: string;
  historyKey: string;
  values: QueryBarValues;
  extra?: HTMLElement[];
  onRun: (v: QueryBarValues) => void;
}): QueryBar {
  const listId = `history-${opts.historyKey.replace(/\W/g, '-')}`;
  const datalist = h('datalist', { attrs: { id: listId } }, ...loadHistory(opts.historyKey).map((q) => h('option', { attrs: { value: q } })));
  const input = h('input', {
    class: 'query-input',
    attrs: {
      type: 'text',
      list: listId,
      placeholder: opts.placeholder,
      'aria-label': opts.label,
      spellcheck: 'false',
      autocomplete: 'off',
      'data-query-input': '',
    },
  });
  input.value = opts.values.q;
  const from = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'From', title: 'From: now-15m, now-2h, or 2026-01-02T15:04:05Z' } });
  from.value = opts.values.from;
  const to = h('input', { class: 'time-input', attrs: { type: 'text', 'aria-label': 'To', title: 'To: now, or 2026-01-02T15:04:05Z' } });
  to.value = opts.values.to;
  const preset = h(
    'select',
    { attrs: { 'aria-label': 'Time range' } },
    h('option', { attrs: { value: '' } }, 'Custom range'),
    ...kPresets.map(([v, label]) => h('option', { attrs: { value: v } }, label)),
  );
  const syncPreset = () => {
    preset.value = to.value.trim() === 'now' && kPresets.some(([v]) => v === from.value.trim()) ? from.value.trim() : '';
  };
  syncPreset();
  const err = errorBox();
  const values = () => ({ q: input.value, from: from.value.trim() || 'now-1h', to: to.value.trim() || 'now' });
  const run = () => opts.onRun(values());
  preset.addEventListener('change', () => {
    if (!preset.value) return;
    from.value = preset.value;
    to.value = 'now';
    run();
  });
  for (const el of [input, from, to]) {
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        run();
      }
    });
  }
  from.addEventListener('change', syncPreset);
  to.addEventListener('change', syncPreset);
  const button = h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: run } }, 'Run query');
  const el = h(
    'div',
    { class: 'query-bar' },
    h('div', { class: 'query-row' }, input, datalist, button),
    h('div', { class: 'query-row' }, preset, from, h('span', { class: 'muted' }, 'to'), to, ...(opts.extra ?? [])),
    err.el,
  );
  return { el, input, values, showError: err.show, clearError: err.hide };
}
