// The trace of GET /api/traces/<id> (Tempo's JSON: OTLP with base64 ids and
// enum names) as a tree of spans in waterfall order. Everything in it comes
// from the senders and is only ever rendered as text.

export interface KeyValue {
  key: string;
  value: string;
}

export interface SpanEvent {
  timeNs: bigint;
  name: string;
  attributes: KeyValue[];
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes: KeyValue[];
}

export interface Span {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  service: string;
  startNs: bigint;
  endNs: bigint;
  durationNs: number;
  error: boolean;
  statusCode: string;
  statusMessage: string;
  attributes: KeyValue[];
  resource: KeyValue[];
  scope: string;
  events: SpanEvent[];
  links: SpanLink[];
  depth: number;
  children: Span[];
}

export interface Trace {
  spans: Span[]; // waterfall order: depth first, children by start
  byId: Map<string, Span>;
  startNs: bigint;
  endNs: bigint;
  services: string[];
  errors: number;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

export function base64ToHex(b64: string): string {
  if (/^[0-9a-f]+$/.test(b64) && (b64.length === 16 || b64.length === 32)) return b64; // already hex
  try {
    const bin = atob(b64);
    let out = '';
    for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return out;
  } catch {
    return '';
  }
}

// An OTLP AnyValue as display text.
export function anyValueText(v: unknown): string {
  const o = obj(v);
  if ('stringValue' in o) return str(o.stringValue);
  if ('intValue' in o) return str(o.intValue);
  if ('doubleValue' in o) return str(o.doubleValue);
  if ('boolValue' in o) return str(o.boolValue);
  if ('bytesValue' in o) return `0x${base64ToHex(str(o.bytesValue))}`;
  if ('arrayValue' in o) return `[${arr(obj(o.arrayValue).values).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in o) {
    return `{${arr(obj(o.kvlistValue).values)
      .map((kv) => `${str(obj(kv).key)}: ${anyValueText(obj(kv).value)}`)
      .join(', ')}}`;
  }
  return '';
}

function keyValues(list: unknown): KeyValue[] {
  return arr(list).map((kv) => ({ key: str(obj(kv).key), value: anyValueText(obj(kv).value) }));
}

function ns(v: unknown): bigint {
  try {
    return BigInt(str(v) || '0');
  } catch {
    return 0n;
  }
}

export function parseTrace(json: unknown): Trace {
  const spans: Span[] = [];
  const root = obj(json);
  for (const batch of arr(root.batches ?? root.resourceSpans)) {
    const resource = keyValues(obj(obj(batch).resource).attributes);
    const service = resource.find((kv) => kv.key === 'service.name')?.value ?? '<unknown service>';
    for (const ss of arr(obj(batch).scopeSpans ?? obj(batch).instrumentationLibrarySpans)) {
      const scope = obj(obj(ss).scope ?? obj(ss).instrumentationLibrary);
      const scopeName = [str(scope.name), str(scope.version)].filter(Boolean).join(' ');
      for (const raw of arr(obj(ss).spans)) {
        const s = obj(raw);
        const startNs = ns(s.startTimeUnixNano);
        let endNs = ns(s.endTimeUnixNano);
        if (endNs < startNs) endNs = startNs;
        const status = obj(s.status);
        const code = str(status.code) || 'STATUS_CODE_UNSET';
        spans.push({
          spanId: base64ToHex(str(s.spanId)),
          parentSpanId: base64ToHex(str(s.parentSpanId)),
          name: str(s.name),
          kind: str(s.kind).replace(/^SPAN_KIND_/, '').toLowerCase() || 'unspecified',
          service,
          startNs,
          endNs,
          durationNs: Number(endNs - startNs),
          error: code === 'STATUS_CODE_ERROR' || code === '2',
          statusCode: code.replace(/^STATUS_CODE_/, '').toLowerCase(),
          statusMessage: str(status.message),
          attributes: keyValues(s.attributes),
          resource,
          scope: scopeName,
          events: arr(s.events).map((e) => ({
            timeNs: ns(obj(e).timeUnixNano),
            name: str(obj(e).name),
            attributes: keyValues(obj(e).attributes),
          })),
          links: arr(s.links).map((l) => ({
            traceId: base64ToHex(str(obj(l).traceId)),
            spanId: base64ToHex(str(obj(l).spanId)),
            attributes: keyValues(obj(l).attributes),
          })),
          depth: 0,
          children: [],
        });
      }
    }
  }
  return buildTree(spans);
}

// Orders spans depth first under their parents; spans whose parent is not in
// the trace (not received, or a remote parent) become roots, so nothing is
// lost. A parent cycle in bad data cannot loop: each span is placed once.
function buildTree(spans: Span[]): Trace {
  const byId = new Map<string, Span>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const roots: Span[] = [];
  for (const s of spans) {
    const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    if (parent && parent !== s) parent.children.push(s);
    else roots.push(s);
  }
  const byStart = (a: Span, b: Span) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
  roots.sort(byStart);
  const ordered: Span[] = [];
  const placed = new Set<Span>();
  const stack: Array<[Span, number]> = roots.map((r) => [r, 0] as [Span, number]).reverse();
  while (stack.length) {
    const [s, depth] = stack.pop()!;
    if (placed.has(s)) continue;
    placed.add(s);
    s.depth = depth;
    ordered.push(s);
    s.children.sort(byStart);
    for (let i = s.children.length - 1; i >= 0; i--) stack.push([s.children[i], depth + 1]);
  }
  // Spans only reachable through a cycle.
  for (const s of spans) if (!placed.has(s)) ordered.push(s);
  let startNs = ordered.length ? ordered[0].startNs : 0n;
  let endNs = startNs;
  const services = new Set<string>();
  let errors = 0;
  for (const s of ordered) {
    if (s.startNs < startNs) startNs = s.startNs;
    if (s.endNs > endNs) endNs = s.endNs;
    services.add(s.service);
    if (s.error) errors++;
  }
  return { spans: ordered, byId, startNs, endNs, services: [...services].sort(), errors };
}
