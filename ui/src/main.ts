// quartet's web UI: the shell (header with navigation, the global "go to
// trace" box, theme toggle), client-side routing on the URL (routes.ts), and
// the keyboard shortcuts: "/" focuses the query box, Esc closes panels.

import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { errorBox, h } from './dom';
import { normalizeTraceId, parseRoute, traceHref, type Route, type ViewName } from './routes';
import type { AppContext, View } from './view';
import { incidentView } from './views/incident';
import { logsExplore } from './views/logs_explore';
import { metricsExplore } from './views/metrics_explore';
import { overviewView } from './views/overview';
import { profilesView } from './views/profiles';
import { traceView } from './views/trace_view';
import { tracesExplore } from './views/traces_explore';

const kThemeKey = 'quartet.theme';

function applyTheme(theme: string | null): void {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function currentTheme(): 'dark' | 'light' {
  const t = document.documentElement.dataset.theme;
  if (t === 'dark' || t === 'light') return t;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function start(): void {
  const root = document.getElementById('app')!;
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(kThemeKey);
  } catch {
    // no storage: follow the system
  }
  applyTheme(stored);

  let view: View | null = null;
  let viewName: ViewName | null = null;
  const main = h('main', { attrs: { id: 'main' } });
  const app: AppContext = {
    navigate(href, opts = {}) {
      if (href === location.pathname + location.search) return;
      if (opts.replace) history.replaceState(null, '', href);
      else history.pushState(null, '', href);
      render();
    },
  };

  const navLinks: Array<[ViewName, string, string]> = [
    ['traces', 'Traces', '/ui/explore/traces'],
    ['logs', 'Logs', '/ui/explore/logs'],
    ['metrics', 'Metrics', '/ui/explore/metrics'],
    ['overview', 'Overview', '/ui/overview'],
    ['profiles', 'Profiles', '/ui/profiles'],
    ['incident', 'Incident', '/ui/incident'],
  ];
  const nav = h('nav', { attrs: { 'aria-label': 'Views' } }, ...navLinks.map(([name, label, href]) => h('a', { attrs: { href, 'data-app-link': '', 'data-view': name } }, label)));
  const gotoErr = errorBox();
  const gotoInput = h('input', { class: 'goto-input', attrs: { type: 'text', placeholder: 'Go to trace id', 'aria-label': 'Go to trace id', spellcheck: 'false', autocomplete: 'off' } });
  gotoInput.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const id = normalizeTraceId(gotoInput.value);
    if (!id) {
      gotoErr.show('A trace id is 1 to 32 hex digits.');
      return;
    }
    gotoErr.hide();
    gotoInput.value = '';
    app.navigate(traceHref(id));
  });
  gotoInput.addEventListener('input', () => gotoErr.hide());
  // A trace id pasted anywhere outside an input opens it; so does a whole
  // trace id (16 or 32 hex digits) pasted into an empty query or search box.
  document.addEventListener('paste', (e) => {
    const target = e.target as HTMLElement;
    const text = e.clipboardData?.getData('text') ?? '';
    if (target.closest('input, textarea, select, [contenteditable]')) {
      const box = target instanceof HTMLInputElement && (target.hasAttribute('data-query-input') || target.type === 'search') && !target.value.trim();
      if (!box || !/^\s*(0x)?([0-9a-f]{16}|[0-9a-f]{32})\s*$/i.test(text)) return;
      e.preventDefault();
    }
    const id = normalizeTraceId(text);
    if (id) app.navigate(traceHref(id));
  });
  const themeButton = h('button', { class: 'theme-toggle', attrs: { type: 'button' } });
  const syncThemeButton = () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    themeButton.textContent = next === 'dark' ? '☾ Dark' : '☀ Light';
    themeButton.title = `Switch to the ${next} theme`;
  };
  themeButton.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    applyTheme(next);
    try {
      localStorage.setItem(kThemeKey, next);
    } catch {
      // not remembered
    }
    syncThemeButton();
  });
  syncThemeButton();
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', attrs: { href: '/ui/explore/traces', 'data-app-link': '' } }, 'quartet'),
    nav,
    h('div', { class: 'goto' }, gotoInput, gotoErr.el),
    themeButton,
  );
  root.append(h('a', { class: 'skip', attrs: { href: '#main' } }, 'Skip to content'), header, main);

  const build = (route: Route): View => {
    switch (route.view) {
      case 'traces':
        return tracesExplore(route, app);
      case 'logs':
        return logsExplore(route, app);
      case 'metrics':
        return metricsExplore(route, app);
      case 'trace':
        return traceView(route, app);
      case 'overview':
        return overviewView(route, app);
      case 'profiles':
        return profilesView(route, app);
      case 'incident':
        return incidentView(route, app);
      default:
        return {
          el: h('section', { class: 'view' }, h('h1', null, 'No such view'), h('p', null, 'This address is not a view of quartet. Try ', h('a', { attrs: { href: '/ui/explore/traces', 'data-app-link': '' } }, 'Explore traces'), '.')),
        };
    }
  };

  const render = () => {
    const route = parseRoute(location);
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.view === route.view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (view && viewName === route.view && view.update?.(route)) return;
    view?.destroy?.();
    view = build(route);
    viewName = route.view;
    main.replaceChildren(view.el);
    const titles: Record<string, string> = { logs: 'Logs', metrics: 'Metrics', overview: 'Overview', profiles: 'Profiles', incident: 'Incident', notfound: 'Not found' };
    document.title = `${route.view === 'trace' ? `Trace ${route.traceId?.slice(0, 8) ?? ''}` : (titles[route.view] ?? 'Traces')} · quartet`;
  };

  // App links navigate in place; modified clicks (new tab) stay the browser's.
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as HTMLElement).closest('a[data-app-link]') as HTMLAnchorElement | null;
    if (!a) return;
    e.preventDefault();
    app.navigate(a.getAttribute('href')!);
  });
  window.addEventListener('popstate', render);
  // A trace id (16 or 32 hex digits) entered in any search box opens the
  // trace instead of running it as a query.
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key !== 'Enter') return;
      const input = e.target as HTMLElement;
      if (!(input instanceof HTMLInputElement) || input.classList.contains('goto-input') || !(input.hasAttribute('data-query-input') || input.type === 'search')) return;
      const text = input.value.trim();
      const id = /^(0x)?([0-9a-f]{16}|[0-9a-f]{32})$/i.test(text) ? normalizeTraceId(text) : null;
      if (!id) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      app.navigate(traceHref(id));
    },
    true,
  );
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    const typing = !!target.closest('input, textarea, select, [contenteditable]');
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      (view?.queryInput ?? gotoInput).focus();
    } else if (e.key === 'Escape') {
      if (typing) (target as HTMLInputElement).blur();
      else view?.closePanel?.();
    }
  });
  render();
}

start();
