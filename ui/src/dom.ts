// DOM helpers. Every string that reaches the page goes through a text node or
// an attribute set here; nothing uses innerHTML, so data from untrusted
// senders (log lines, span names, attribute values) always renders as text.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  attrs?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (e: HTMLElementEventMap[K]) => void };
  style?: Partial<Record<'left' | 'width' | 'top' | 'height' | 'paddingLeft' | 'background' | 'borderColor', string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.title) el.title = props.title;
    if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
    if (props.on) {
      for (const [type, fn] of Object.entries(props.on)) el.addEventListener(type, fn as EventListener);
    }
    if (props.style) Object.assign(el.style, props.style);
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// A link to a view of this app. `href` is always built by the app from
// validated parts (see routes.ts), never taken from data.
export function appLink(href: string, ...children: Child[]): HTMLAnchorElement {
  if (!href.startsWith('/ui/')) throw new Error(`not an app link: ${href}`);
  return h('a', { attrs: { href, 'data-app-link': '' } }, ...children);
}

// An error line shown next to a query input (role=alert so it is announced).
export function errorBox(): { el: HTMLElement; show(msg: string): void; hide(): void } {
  const el = h('div', { class: 'error', attrs: { role: 'alert' } });
  el.hidden = true;
  return {
    el,
    show(msg: string) {
      el.textContent = msg;
      el.hidden = false;
    },
    hide() {
      el.textContent = '';
      el.hidden = true;
    },
  };
}

// Colours for services: stable per name, distinguishable in both themes.
const kPalette = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#af7aa1', '#86bcb6'];
export function serviceColor(name: string): string {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return kPalette[(hash >>> 0) % kPalette.length];
}

// Shortens text for one-line displays; the whole text stays in the title.
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max) + '…';
}
