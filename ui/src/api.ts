// Calls to quartetd's query APIs (same origin). Errors carry the server's
// message (400s name the parameter or the query position), shown by the views
// next to their query input.

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function url(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function getJson<T>(
  path: string,
  params: Record<string, string | undefined> = {},
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url(path, params), { signal, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, `quartetd did not answer: ${String(e)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, `quartetd sent a reply that is not JSON (${text.length} bytes)`);
  }
}

// Loki/Prometheus-shaped errors are JSON with an "error" member; Tempo's are text.
function errorMessage(status: number, text: string): string {
  let msg = text.trim();
  try {
    const j = JSON.parse(text) as { error?: unknown };
    if (typeof j.error === 'string') msg = j.error;
  } catch {
    // plain text
  }
  if (msg.length > 2000) msg = msg.slice(0, 2000) + '…';
  return `${status}: ${msg || 'error without a message'}`;
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
