// A list that renders only its visible rows, so 100k+ items scroll as fast as
// ten: rows have a fixed height and are absolutely positioned inside a spacer
// as tall as the whole list. Keyboard: the list is one tab stop; Up/Down/
// PageUp/PageDown/Home/End move the active row, Enter opens it. onNearEnd
// asks for the next page when the view comes within a screen of the end.

import { clear, h } from './dom';

export interface VirtualListOptions<T> {
  rowHeight: number;
  label: string;
  renderRow: (item: T, index: number) => HTMLElement;
  onOpen: (item: T, index: number) => void;
  onNearEnd?: () => void;
  // Other keys on the active row; true when handled.
  onKey?: (e: KeyboardEvent, item: T) => boolean;
}

export class VirtualList<T> {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: T[] = [];
  private active = -1;
  private frame = 0;

  constructor(private readonly opts: VirtualListOptions<T>) {
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.el = h(
      'div',
      {
        class: 'vlist',
        attrs: { tabindex: '0', role: 'listbox', 'aria-label': opts.label },
        on: {
          scroll: () => this.schedule(),
          keydown: (e) => this.onKey(e),
        },
      },
      this.spacer,
    );
    new ResizeObserver(() => this.schedule()).observe(this.el);
  }

  get length(): number {
    return this.items.length;
  }

  setItems(items: T[]): void {
    this.items = items;
    this.active = items.length ? Math.min(Math.max(this.active, 0), items.length - 1) : -1;
    this.schedule();
  }

  // Appending keeps the scroll position and the active row.
  append(items: T[]): void {
    for (const it of items) this.items.push(it);
    this.schedule();
  }

  setActive(index: number, scroll = true): void {
    if (!this.items.length) return;
    this.active = Math.max(0, Math.min(index, this.items.length - 1));
    if (scroll) {
      const top = this.active * this.opts.rowHeight;
      if (top < this.el.scrollTop) this.el.scrollTop = top;
      else if (top + this.opts.rowHeight > this.el.scrollTop + this.el.clientHeight) {
        this.el.scrollTop = top + this.opts.rowHeight - this.el.clientHeight;
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  // Renders now (tests and first paint need not wait for a frame).
  render(): void {
    const rh = this.opts.rowHeight;
    this.spacer.style.height = `${this.items.length * rh}px`;
    const height = this.el.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.el.scrollTop / rh) - 10);
    const last = Math.min(this.items.length, Math.ceil((this.el.scrollTop + height) / rh) + 10);
    clear(this.spacer);
    for (let i = first; i < last; i++) {
      const row = this.opts.renderRow(this.items[i], i);
      row.classList.add('vlist-row');
      row.setAttribute('role', 'option');
      row.setAttribute('data-index', String(i));
      if (i === this.active) {
        row.classList.add('active');
        row.setAttribute('aria-selected', 'true');
      }
      row.style.top = `${i * rh}px`;
      row.style.height = `${rh}px`;
      row.addEventListener('click', (e) => {
        if ((e.target as HTMLElement).closest('a, button')) return; // links and buttons act themselves
        this.active = i;
        this.opts.onOpen(this.items[i], i);
        this.schedule();
      });
      this.spacer.appendChild(row);
    }
    if (this.opts.onNearEnd && this.el.scrollTop + 2 * height >= this.items.length * rh) this.opts.onNearEnd();
  }

  private onKey(e: KeyboardEvent): void {
    if (this.opts.onKey && this.active >= 0 && this.opts.onKey(e, this.items[this.active])) {
      e.preventDefault();
      return;
    }
    const page = Math.max(1, Math.floor(this.el.clientHeight / this.opts.rowHeight) - 1);
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: page,
      PageUp: -page,
      Home: -Infinity,
      End: Infinity,
    };
    if (e.key in moves) {
      e.preventDefault();
      const d = moves[e.key];
      this.setActive(d === -Infinity ? 0 : d === Infinity ? this.items.length - 1 : this.active + d);
    } else if (e.key === 'Enter' && this.active >= 0) {
      e.preventDefault();
      this.opts.onOpen(this.items[this.active], this.active);
    }
  }
}
