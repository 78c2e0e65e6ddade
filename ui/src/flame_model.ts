// Pyroscope's flamebearer JSON (GET /pyroscope/render, format=json) as a flat,
// typed-array flame graph that a canvas can draw at 100k+ nodes with no
// object per node, plus what the profiles view derives from it: the top table
// (self/total per function, recursion counted once), the sandwich (merged
// callers and callees of one function) and name search.
//
// Flamebearer levels: "single" format has 4 numbers per node
// [offset delta, total, self, name index]; the "double" (diff) format has 7
// [left offset delta, left total, left self, right offset delta, right total,
// right self, name index]. Offsets are delta-encoded per level: a node starts
// at (its delta + the end of the previous node on its level). In a diff the
// drawn width is left + right, as Pyroscope draws it. Names are sender data:
// they are only ever drawn as canvas text or DOM text.

export interface Flame {
  names: string[];
  diff: boolean;
  numTicks: number;
  leftTicks: number; // diff only: ticks of the baseline window
  rightTicks: number; // diff only: ticks of the compared window
  // Node i is on level level[i]; nodes are ordered by level, then by x.
  levelStart: Int32Array; // first node index of each level; length levels+1
  level: Int32Array;
  x: Float64Array;
  total: Float64Array;
  self: Float64Array;
  name: Int32Array;
  parent: Int32Array; // -1 for the nodes of level 0
  leftTotal: Float64Array; // diff only (else empty)
  rightTotal: Float64Array;
  leftSelf: Float64Array;
  rightSelf: Float64Array;
  unit: string;
}

interface FlamebearerJson {
  flamebearer?: { names?: unknown; levels?: unknown; numTicks?: unknown };
  metadata?: { format?: unknown; units?: unknown; name?: unknown };
  leftTicks?: unknown;
  rightTicks?: unknown;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

// Parses a render answer; a string says what is wrong with it.
export function parseFlamebearer(json: unknown): Flame | string {
  const j = json as FlamebearerJson | null;
  const fb = j?.flamebearer;
  if (!fb || !Array.isArray(fb.names) || !Array.isArray(fb.levels)) return 'the answer has no flamebearer names and levels';
  const names = fb.names.map((n) => (typeof n === 'string' ? n : String(n)));
  const diff = j?.metadata?.format === 'double';
  const stride = diff ? 7 : 4;
  let count = 0;
  for (const lv of fb.levels) {
    if (!Array.isArray(lv) || lv.length % stride !== 0) return `a level's length is not a multiple of ${stride}`;
    count += lv.length / stride;
  }
  const nLevels = fb.levels.length;
  const f: Flame = {
    names,
    diff,
    numTicks: num(fb.numTicks),
    leftTicks: diff ? num(j?.leftTicks) : 0,
    rightTicks: diff ? num(j?.rightTicks) : 0,
    levelStart: new Int32Array(nLevels + 1),
    level: new Int32Array(count),
    x: new Float64Array(count),
    total: new Float64Array(count),
    self: new Float64Array(count),
    name: new Int32Array(count),
    parent: new Int32Array(count).fill(-1),
    leftTotal: new Float64Array(diff ? count : 0),
    rightTotal: new Float64Array(diff ? count : 0),
    leftSelf: new Float64Array(diff ? count : 0),
    rightSelf: new Float64Array(diff ? count : 0),
    unit: unitOf(j?.metadata),
  };
  let i = 0;
  for (let L = 0; L < nLevels; L++) {
    f.levelStart[L] = i;
    const lv = fb.levels[L] as unknown[];
    let prevL = 0;
    let prevR = 0;
    for (let k = 0; k < lv.length; k += stride, i++) {
      const v = (o: number) => num(lv[k + o]);
      f.level[i] = L;
      if (!diff) {
        f.x[i] = prevL + v(0);
        f.total[i] = v(1);
        f.self[i] = v(2);
        f.name[i] = v(3);
        prevL = f.x[i] + f.total[i];
      } else {
        const lx = prevL + v(0);
        const rx = prevR + v(3);
        f.leftTotal[i] = v(1);
        f.leftSelf[i] = v(2);
        f.rightTotal[i] = v(4);
        f.rightSelf[i] = v(5);
        f.name[i] = v(6);
        prevL = lx + v(1);
        prevR = rx + v(4);
        f.x[i] = lx + rx;
        f.total[i] = v(1) + v(4);
        f.self[i] = v(2) + v(5);
      }
      if (!Number.isFinite(f.x[i]) || !(f.total[i] >= 0) || !(f.self[i] >= 0)) return `node ${k / stride} of level ${L} has a number that is not a count`;
      if (!Number.isInteger(f.name[i]) || f.name[i] < 0 || f.name[i] >= names.length) return `node ${k / stride} of level ${L} names no entry of names[]`;
    }
  }
  f.levelStart[nLevels] = i;
  if (!Number.isFinite(f.numTicks)) f.numTicks = nLevels ? sumLevel(f, 0) : 0;
  if (diff && !(f.leftTicks >= 0 && f.rightTicks >= 0)) {
    f.leftTicks = 0;
    f.rightTicks = 0;
    for (let n = f.levelStart[0]; n < f.levelStart[1]; n++) {
      f.leftTicks += f.leftTotal[n];
      f.rightTicks += f.rightTotal[n];
    }
  }
  linkParents(f);
  return f;
}

// Pyroscope says "samples" for CPU profiles whose values are nanoseconds;
// the profile type (type:sample:unit:period:unit) tells.
function unitOf(m: FlamebearerJson['metadata']): string {
  const units = typeof m?.units === 'string' ? m.units : '';
  const type = typeof m?.name === 'string' ? m.name.split(':') : [];
  if ((units === 'samples' || !units) && type.length >= 3 && (type[2] === 'nanoseconds' || type[2] === 'bytes')) return type[2];
  return units;
}

function sumLevel(f: Flame, L: number): number {
  let s = 0;
  for (let n = f.levelStart[L]; n < f.levelStart[L + 1]; n++) s += f.total[n];
  return s;
}

// Both levels are sorted by x, so one merge-like pass per level finds each
// node's parent: the node above whose [x, x+total) holds its start.
function linkParents(f: Flame): void {
  const levels = f.levelStart.length - 1;
  for (let L = 1; L < levels; L++) {
    let p = f.levelStart[L - 1];
    const pEnd = f.levelStart[L];
    for (let n = f.levelStart[L]; n < f.levelStart[L + 1]; n++) {
      while (p < pEnd && f.x[p] + f.total[p] <= f.x[n]) p++;
      if (p < pEnd && f.x[p] <= f.x[n]) f.parent[n] = p;
    }
  }
}

export function levels(f: Flame): number {
  return f.levelStart.length - 1;
}

// The first node of level L whose end is after `x` (binary search).
export function firstNodeEndingAfter(f: Flame, L: number, x: number): number {
  let lo = f.levelStart[L];
  let hi = f.levelStart[L + 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f.x[mid] + f.total[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// The node under flame coordinate x (in ticks) on level L, or -1.
export function nodeAt(f: Flame, L: number, x: number): number {
  if (L < 0 || L >= levels(f)) return -1;
  const n = firstNodeEndingAfter(f, L, x);
  return n < f.levelStart[L + 1] && f.x[n] <= x ? n : -1;
}

// True when `a` is `n` or one of its ancestors.
export function isAncestorOrSelf(f: Flame, a: number, n: number): boolean {
  for (let p = n; p >= 0; p = f.parent[p]) if (p === a) return true;
  return false;
}

// Share change of a diff node: compared share minus baseline share, in
// [-1, 1]. Zero when a side has no ticks.
export function shareChange(f: Flame, n: number): number {
  if (!f.diff || !(f.leftTicks > 0) || !(f.rightTicks > 0)) return 0;
  return f.rightTotal[n] / f.rightTicks - f.leftTotal[n] / f.leftTicks;
}

export interface TopRow {
  name: string;
  nameIndex: number;
  self: number;
  total: number;
  // Diff only: the share change of self time.
  selfChange?: number;
}

// Self and total per function name. Total counts a stack once even when the
// function recurses (only nodes with no ancestor of the same name add to it).
// In a diff, self and total are those of the compared (right) window.
export function topTable(f: Flame): TopRow[] {
  const nodeSelf = f.diff ? f.rightSelf : f.self;
  const nodeTotal = f.diff ? f.rightTotal : f.total;
  const self = new Float64Array(f.names.length);
  const total = new Float64Array(f.names.length);
  const lSelf = new Float64Array(f.diff ? f.names.length : 0);
  const rSelf = new Float64Array(f.diff ? f.names.length : 0);
  const seen = new Uint8Array(f.names.length);
  for (let n = 0; n < f.name.length; n++) {
    const nm = f.name[n];
    seen[nm] = 1;
    self[nm] += nodeSelf[n];
    if (f.diff) {
      lSelf[nm] += f.leftSelf[n];
      rSelf[nm] += f.rightSelf[n];
    }
    let recursive = false;
    for (let p = f.parent[n]; p >= 0; p = f.parent[p]) {
      if (f.name[p] === nm) {
        recursive = true;
        break;
      }
    }
    if (!recursive) total[nm] += nodeTotal[n];
  }
  const rows: TopRow[] = [];
  for (let i = 0; i < f.names.length; i++) {
    if (!seen[i]) continue;
    const row: TopRow = { name: f.names[i], nameIndex: i, self: self[i], total: total[i] };
    if (f.diff && f.leftTicks > 0 && f.rightTicks > 0) row.selfChange = rSelf[i] / f.rightTicks - lSelf[i] / f.leftTicks;
    rows.push(row);
  }
  return rows;
}

export type TopSort = 'self' | 'total' | 'name' | 'change';

export function sortTop(rows: TopRow[], by: TopSort, desc = true): TopRow[] {
  const key = (r: TopRow): number | string => (by === 'name' ? r.name : by === 'change' ? (r.selfChange ?? 0) : r[by]);
  const out = rows.slice();
  out.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return desc ? -c : c;
  });
  return out;
}

// Name indexes whose name contains `text` (case-insensitive), as a mask.
export function searchNames(f: Flame, text: string): Uint8Array {
  const mask = new Uint8Array(f.names.length);
  const t = text.trim().toLowerCase();
  if (!t) return mask;
  for (let i = 0; i < f.names.length; i++) if (f.names[i].toLowerCase().includes(t)) mask[i] = 1;
  return mask;
}

// Ticks under matching frames (each stack counted once) over all ticks.
export function matchedShare(f: Flame, mask: Uint8Array): number {
  let sum = 0;
  for (let n = 0; n < f.name.length; n++) {
    if (!mask[f.name[n]]) continue;
    let covered = false;
    for (let p = f.parent[n]; p >= 0; p = f.parent[p]) {
      if (mask[f.name[p]]) {
        covered = true;
        break;
      }
    }
    if (!covered) sum += f.total[n];
  }
  return f.numTicks > 0 ? sum / f.numTicks : 0;
}

// A merge tree of stacks, turned back into a Flame (single format).
interface Trie {
  name: number;
  total: number;
  self: number;
  children: Map<number, Trie>;
}

function trie(name: number): Trie {
  return { name, total: 0, self: 0, children: new Map() };
}

function trieToFlame(root: Trie, names: string[], unit: string): Flame {
  const perLevel: Array<Array<[number, number, number, number]>> = [];
  const walk = (t: Trie, L: number, x: number) => {
    (perLevel[L] ??= []).push([x, t.total, t.self, t.name]);
    let cx = x;
    const kids = [...t.children.values()].sort((a, b) => (names[a.name] < names[b.name] ? -1 : names[a.name] > names[b.name] ? 1 : 0));
    for (const c of kids) {
      walk(c, L + 1, cx);
      cx += c.total;
    }
  };
  walk(root, 0, 0);
  const levelsJson = perLevel.map((nodes) => {
    const out: number[] = [];
    let end = 0;
    for (const [x, total, self, name] of nodes) {
      out.push(x - end, total, self, name);
      end = x + total;
    }
    return out;
  });
  const f = parseFlamebearer({ flamebearer: { names, levels: levelsJson, numTicks: root.total }, metadata: { format: 'single', units: unit } });
  if (typeof f === 'string') throw new Error(f);
  return f;
}

export interface Sandwich {
  callers: Flame; // the function on level 0, its callers below it
  callees: Flame; // the function on level 0, what it calls below it
}

// The sandwich view of name index `fn`: every outermost call of it merged.
export function sandwich(f: Flame, fn: number): Sandwich {
  const children: number[][] = Array.from({ length: f.name.length }, () => []);
  for (let n = 0; n < f.name.length; n++) if (f.parent[n] >= 0) children[f.parent[n]].push(n);
  const callees = trie(fn);
  const callers = trie(fn);
  const addSubtree = (t: Trie, n: number) => {
    t.total += f.total[n];
    t.self += f.self[n];
    for (const c of children[n]) {
      let child = t.children.get(f.name[c]);
      if (!child) t.children.set(f.name[c], (child = trie(f.name[c])));
      addSubtree(child, c);
    }
  };
  for (let n = 0; n < f.name.length; n++) {
    if (f.name[n] !== fn) continue;
    let outer = true;
    for (let p = f.parent[n]; p >= 0; p = f.parent[p]) if (f.name[p] === fn) outer = false;
    if (!outer) continue;
    addSubtree(callees, n);
    callers.total += f.total[n];
    callers.self += f.self[n];
    let t = callers;
    for (let p = f.parent[n]; p >= 0; p = f.parent[p]) {
      let up = t.children.get(f.name[p]);
      if (!up) t.children.set(f.name[p], (up = trie(f.name[p])));
      up.total += f.total[n];
      t = up;
    }
  }
  // Callers' self: the part of a caller's value that stops there (no further caller).
  const fixSelf = (t: Trie) => {
    let kids = 0;
    for (const c of t.children.values()) {
      kids += c.total;
      fixSelf(c);
    }
    t.self = Math.max(0, t.total - kids);
  };
  fixSelf(callers);
  return { callers: trieToFlame(callers, f.names, f.unit), callees: trieToFlame(callees, f.names, f.unit) };
}

// "1.23 s" of CPU for nanosecond profiles, else a plain count.
export function formatTicks(f: Flame, v: number): string {
  if (f.unit === 'nanoseconds' || f.unit === 'ns') {
    const s = v / 1e9;
    return s >= 1 ? `${s.toFixed(2)} s` : `${(v / 1e6).toFixed(1)} ms`;
  }
  if (f.unit === 'bytes') {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let x = v;
    while (x >= 1024 && i < u.length - 1) {
      x /= 1024;
      i++;
    }
    return `${x.toFixed(i ? 1 : 0)} ${u[i]}`;
  }
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : String(Math.round(v));
}

export function percent(part: number, whole: number): string {
  if (!(whole > 0)) return '—';
  const p = (100 * part) / whole;
  return `${p >= 10 ? p.toFixed(1) : p.toFixed(2)}%`;
}
