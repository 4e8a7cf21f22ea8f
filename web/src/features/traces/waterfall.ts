// Waterfall layout computed once from the flat span array the API sends (display order: each
// parent before its children, `depth` given). Every helper is O(n) or O(visible rows), so a
// 10,000-span trace stays fast: no recursive component tree, no per-row tree walks.
//   const m = buildModel(trace.spans);
//   const rows = visibleRows(m, collapsed, null);   // indices into trace.spans

export interface LayoutSpan {
  depth: number;
  name: string;
  service: string;
  span_id: string;
  critical: boolean;
  status_code: string;
  attributes?: Record<string, unknown>;
}

export interface WaterfallModel {
  n: number;
  /** position of the parent in the array, -1 for roots and orphans */
  parent: Int32Array;
  /** position after the last descendant: descendants of i are i+1 .. end[i]-1 */
  end: Int32Array;
  childCount: Int32Array;
}

export function buildModel(spans: readonly { depth: number }[]): WaterfallModel {
  const n = spans.length;
  const parent = new Int32Array(n).fill(-1);
  const end = new Int32Array(n);
  const childCount = new Int32Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = spans[i].depth;
    while (stack.length && spans[stack[stack.length - 1]].depth >= d) end[stack.pop()!] = i;
    if (stack.length) {
      const p = stack[stack.length - 1];
      parent[i] = p;
      childCount[p]++;
    }
    stack.push(i);
  }
  while (stack.length) end[stack.pop()!] = n;
  return { n, parent, end, childCount };
}

/** Spans shown, in order: collapsed subtrees skipped; with `only`, just the marked spans. */
export function visibleRows(m: WaterfallModel, collapsed: Uint8Array, only: Uint8Array | null): Int32Array {
  const out = new Int32Array(m.n);
  let k = 0;
  if (only) {
    for (let i = 0; i < m.n; i++) if (only[i]) out[k++] = i;
    return out.subarray(0, k);
  }
  for (let i = 0; i < m.n; ) {
    out[k++] = i;
    i = collapsed[i] ? m.end[i] : i + 1;
  }
  return out.subarray(0, k);
}

/** Traces bigger than this open with every subtree below the first level collapsed. */
export const HUGE_TRACE = 1000;

export function initialCollapsed(m: WaterfallModel, spans: readonly { depth: number }[]): Uint8Array {
  const c = new Uint8Array(m.n);
  if (m.n <= HUGE_TRACE) return c;
  for (let i = 0; i < m.n; i++) if (spans[i].depth >= 1 && m.childCount[i] > 0) c[i] = 1;
  return c;
}

export function collapseAll(m: WaterfallModel): Uint8Array {
  const c = new Uint8Array(m.n);
  for (let i = 0; i < m.n; i++) if (m.childCount[i] > 0) c[i] = 1;
  return c;
}

/** A copy of `collapsed` with every ancestor of i expanded, so i is visible. */
export function revealSpan(m: WaterfallModel, collapsed: Uint8Array, i: number): Uint8Array {
  let changed = false;
  const c = new Uint8Array(collapsed);
  for (let p = m.parent[i]; p >= 0; p = m.parent[p]) {
    if (c[p]) {
      c[p] = 0;
      changed = true;
    }
  }
  return changed ? c : collapsed;
}

/** Spans whose name, service, id or an attribute value contains the text (case-insensitive). */
export function matchSpans(spans: readonly LayoutSpan[], text: string): Uint8Array {
  const m = new Uint8Array(spans.length);
  const t = text.trim().toLowerCase();
  if (!t) return m;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.name.toLowerCase().includes(t) || s.service.toLowerCase().includes(t) || s.span_id === t) {
      m[i] = 1;
      continue;
    }
    if (s.attributes) {
      for (const v of Object.values(s.attributes)) {
        if (String(v).toLowerCase().includes(t)) {
          m[i] = 1;
          break;
        }
      }
    }
  }
  return m;
}

/** The matches plus their ancestors (for "show matches only"); each span is marked once. */
export function withAncestors(m: WaterfallModel, marks: Uint8Array): Uint8Array {
  const out = new Uint8Array(marks);
  for (let i = 0; i < m.n; i++) {
    if (!marks[i]) continue;
    for (let p = m.parent[i]; p >= 0 && !out[p]; p = m.parent[p]) out[p] = 1;
  }
  return out;
}

/**
 * The first span of the next critical-path segment after position `from` (a segment is a run of
 * critical spans in display order), wrapping around; -1 when no span is critical.
 */
export function nextCriticalSegment(spans: readonly { critical: boolean }[], from: number): number {
  const n = spans.length;
  for (let step = 1; step <= n; step++) {
    const i = (from + step) % n;
    if (spans[i].critical && (i === 0 || !spans[i - 1].critical || i === (from + 1) % n)) return i;
  }
  return -1;
}

/** Ruler ticks: offsets in ns at a "nice" step (1, 2, 5 x 10^k) giving at most maxTicks. */
export function rulerTicks(durationNs: number, maxTicks: number): number[] {
  if (durationNs <= 0 || maxTicks < 1) return [0];
  const raw = durationNs / maxTicks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t <= durationNs + step * 1e-9; t += step) ticks.push(Math.round(t));
  return ticks;
}

/** Bar position as percentages of the trace; a visible minimum width for very short spans. */
export function barGeometry(offsetNs: number, durationNs: number, totalNs: number): { left: number; width: number } {
  if (totalNs <= 0) return { left: 0, width: 100 };
  const left = Math.min(100, Math.max(0, (offsetNs / totalNs) * 100));
  const width = Math.max(0.2, Math.min(100 - left, (durationNs / totalNs) * 100));
  return { left, width };
}

/** Moves the keyboard selection by delta rows within the visible rows; returns a span index. */
export function moveSelection(rows: Int32Array, current: number, delta: number): number {
  if (rows.length === 0) return -1;
  let pos = -1;
  for (let k = 0; k < rows.length; k++) {
    if (rows[k] === current) {
      pos = k;
      break;
    }
  }
  if (pos < 0) return rows[0];
  return rows[Math.max(0, Math.min(rows.length - 1, pos + delta))];
}
