// Time ranges as they appear in URLs ("now-15m", "now", RFC 3339, unix
// seconds or milliseconds) and the formatting of times and durations.
// Timestamps from the APIs are nanosecond strings; they stay BigInt where
// exactness matters (paging cursors) and become milliseconds for display.

const kUnitMs: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

// Milliseconds since the epoch for `spec` at `nowMs`, or null if it does not parse.
export function parseTimeSpec(spec: string, nowMs: number): number | null {
  const s = spec.trim();
  if (s === 'now') return nowMs;
  const rel = /^now-((?:\d+[smhdw])+)$/.exec(s);
  if (rel) {
    let ms = 0;
    for (const m of rel[1].matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * kUnitMs[m[2]];
    return nowMs - ms;
  }
  if (/^\d{9,10}$/.test(s)) return Number(s) * 1000;
  if (/^\d{12,13}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
    const t = Date.parse(s.replace(' ', 'T'));
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export interface Range {
  fromMs: number;
  toMs: number;
}

export function resolveRange(from: string, to: string, nowMs = Date.now()): Range | string {
  const f = parseTimeSpec(from, nowMs);
  if (f === null) return `cannot read the start time "${from}" (try now-1h or 2026-01-02T15:04:05Z)`;
  const t = parseTimeSpec(to, nowMs);
  if (t === null) return `cannot read the end time "${to}" (try now or 2026-01-02T15:04:05Z)`;
  if (t <= f) return 'the end of the time range must be after its start';
  return { fromMs: f, toMs: t };
}

export const kPresets: Array<[string, string]> = [
  ['now-5m', 'Last 5 minutes'],
  ['now-15m', 'Last 15 minutes'],
  ['now-1h', 'Last 1 hour'],
  ['now-6h', 'Last 6 hours'],
  ['now-24h', 'Last 24 hours'],
  ['now-7d', 'Last 7 days'],
];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

// Local time with milliseconds: "2026-01-02 15:04:05.123".
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

// RFC 3339 in UTC, for absolute times written into URLs.
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function nsToMs(ns: string | bigint): number {
  return Number(BigInt(ns) / 1000000n) + Number(BigInt(ns) % 1000000n) / 1e6;
}

// "1.23 s", "456 ms", "12.3 µs", "800 ns", "2m 3s".
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '?';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${trim(ns / 1e3)} µs`;
  if (a < 1e9) return `${trim(ns / 1e6)} ms`;
  if (a < 60e9) return `${trim(ns / 1e9)} s`;
  const s = Math.round(ns / 1e9);
  return s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function trim(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
