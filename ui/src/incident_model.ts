// The incident report (GET /api/v1/incident, `quartet incident --format
// json`) read defensively: one object {service, window {from,to}, baseline
// {from,to}, onset, broken[], who[], where[], why[]} whose findings are
// {summary, signal, subject {name: value}, baseline, incident, unit, score,
// links[]}. Everything in it is data: shown as text; links are followed only
// when they are server-relative paths.

export interface Finding {
  summary: string;
  signal: string;
  subject: Array<[string, string]>;
  baseline: string;
  incident: string;
  unit: string;
  score: number;
  links: ReportLink[];
}

export interface ReportLink {
  href: string; // a server-relative path: "/ui/..." or an API path
  label: string;
  app: boolean; // a view of this UI
}

export interface Report {
  service: string;
  windowMs: [number, number] | null;
  baselineMs: [number, number] | null;
  onsetMs: number | null;
  broken: Finding[];
  who: Finding[];
  where: Finding[];
  why: Finding[];
  conclusion: string;
}

// Unix seconds, milliseconds or nanoseconds (by magnitude), or RFC 3339.
export function timeMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e17 ? v / 1e6 : v > 1e11 ? v : v * 1000;
  if (typeof v === 'string' && v.trim()) {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return timeMs(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function timeWindow(v: unknown): [number, number] | null {
  const o = v as { from?: unknown; to?: unknown } | null;
  const f = timeMs(o?.from);
  const t = timeMs(o?.to);
  return f !== null && t !== null ? [f, t] : null;
}

// A path on this server, or null: no scheme, no host ("//x"), no backslash.
export function safePath(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (!s.startsWith('/') || s.startsWith('//') || s.includes('\\') || /[\u0000-\u001f\s]/.test(s)) return null;
  return s;
}

// What a bare link opens, in words: "traces", "trace 4bf92f35…", "PromQL query".
export function describePath(href: string): string {
  const path = href.split('?')[0];
  const views: Array<[RegExp, string]> = [
    [/^\/ui\/explore\/traces$/, 'Traces'],
    [/^\/ui\/explore\/logs$/, 'Logs'],
    [/^\/ui\/explore\/metrics$/, 'Metrics'],
    [/^\/ui\/overview$/, 'Overview'],
    [/^\/ui\/profiles$/, 'Flame graph'],
    [/^\/ui\/incident$/, 'Incident report'],
    [/^\/api\/v1\/query(_range)?$/, 'PromQL (API)'],
    [/^\/api\/search$/, 'Trace search (API)'],
    [/^\/api\/annotations$/, 'Annotations (API)'],
    [/^\/api\/v1\/alerts$/, 'Alerts (API)'],
    [/^\/api\/v1\/rules$/, 'Rules (API)'],
    [/^\/loki\//, 'LogQL (API)'],
    [/^\/pyroscope\//, 'Profile (API)'],
  ];
  for (const [re, name] of views) if (re.test(path)) return name;
  const trace = /^\/ui\/trace\/([0-9a-f]{8})/.exec(path);
  if (trace) return `Trace ${trace[1]}…`;
  const logs = /^\/api\/v1\/traces\/([0-9a-f]{8})[0-9a-f]*\/logs$/.exec(path);
  if (logs) return `Logs of trace ${logs[1]}… (API)`;
  return path;
}

function link(v: unknown): ReportLink | null {
  const o = typeof v === 'string' ? { url: v } : (v as Record<string, unknown> | null);
  const href = safePath(o?.url ?? o?.href ?? o?.link);
  if (!href) return null;
  const label = typeof o?.title === 'string' ? o.title : typeof o?.label === 'string' ? o.label : typeof o?.name === 'string' ? o.name : describePath(href);
  return { href, label, app: href.startsWith('/ui/') };
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(+v.toPrecision(6)) : JSON.stringify(v));

function finding(v: unknown): Finding | null {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return null;
  const subject: Array<[string, string]> = o.subject && typeof o.subject === 'object' ? Object.entries(o.subject as object).map(([k, x]) => [k, text(x)]) : [];
  return {
    summary: text(o.summary),
    signal: text(o.signal),
    subject,
    baseline: text(o.baseline),
    incident: text(o.incident),
    unit: text(o.unit),
    score: typeof o.score === 'number' ? o.score : Number(o.score),
    links: (Array.isArray(o.links) ? o.links : []).map(link).filter((l): l is ReportLink => !!l),
  };
}

const list = (v: unknown): Finding[] => (Array.isArray(v) ? v.map(finding).filter((f): f is Finding => !!f) : []);

export function parseReport(json: unknown): Report | string {
  const o = json as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return 'the report is not a JSON object';
  if (!['broken', 'who', 'where', 'why'].some((k) => Array.isArray(o[k]))) return 'the report has none of broken, who, where, why';
  return {
    service: text(o.service),
    windowMs: timeWindow(o.window),
    baselineMs: timeWindow(o.baseline),
    onsetMs: timeMs(o.onset),
    broken: list(o.broken),
    who: list(o.who),
    where: list(o.where),
    why: list(o.why),
    conclusion: text(o.conclusion ?? o.summary),
  };
}
