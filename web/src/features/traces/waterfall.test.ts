import { describe, expect, it } from 'vitest';
import { barGeometry, buildModel, collapseAll, HUGE_TRACE, initialCollapsed, matchSpans, moveSelection, nextCriticalSegment, revealSpan, rulerTicks, visibleRows, withAncestors, type LayoutSpan } from './waterfall';

// root(0) ─ a(1) ─ a1(2)
//         │      └ a2(3)
//         └ b(4) ─ b1(5)
// orphan(6)
const depths = [0, 1, 2, 2, 1, 2, 0];
const names = ['root', 'a', 'a1', 'a2', 'b', 'b1', 'orphan'];
const crit = [true, true, false, true, false, false, true];
const spans: LayoutSpan[] = depths.map((d, i) => ({ depth: d, name: names[i], service: i < 4 ? 'web' : 'db', span_id: `${i}`.padStart(16, '0'), critical: crit[i], status_code: 'UNSET', attributes: i === 5 ? { 'db.statement': 'SELECT 1' } : {} }));

describe('waterfall layout', () => {
  it('finds parents, subtree ends and child counts in one pass', () => {
    const m = buildModel(spans);
    expect(Array.from(m.parent)).toEqual([-1, 0, 1, 1, 0, 4, -1]);
    expect(Array.from(m.end)).toEqual([6, 4, 3, 4, 6, 6, 7]);
    expect(Array.from(m.childCount)).toEqual([2, 2, 0, 0, 1, 0, 0]);
  });
  it('skips collapsed subtrees and expands to reveal a span', () => {
    const m = buildModel(spans);
    const c = new Uint8Array(m.n);
    expect(Array.from(visibleRows(m, c, null))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    c[1] = 1;
    expect(Array.from(visibleRows(m, c, null))).toEqual([0, 1, 4, 5, 6]);
    const all = collapseAll(m);
    expect(Array.from(visibleRows(m, all, null))).toEqual([0, 6]);
    const r = revealSpan(m, all, 5);
    expect(Array.from(visibleRows(m, r, null))).toEqual([0, 1, 4, 5, 6]);
    expect(revealSpan(m, r, 4)).toBe(r);
  });
  it('searches spans and keeps the ancestors of matches', () => {
    const m = buildModel(spans);
    const hits = matchSpans(spans, 'select');
    expect(Array.from(hits)).toEqual([0, 0, 0, 0, 0, 1, 0]);
    const only = withAncestors(m, hits);
    expect(Array.from(visibleRows(m, new Uint8Array(m.n), only))).toEqual([0, 4, 5]);
    expect(Array.from(matchSpans(spans, 'A2'))).toEqual([0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(matchSpans(spans, '  '))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
  it('steps through critical-path segments, wrapping around', () => {
    expect(nextCriticalSegment(spans, -1)).toBe(0);
    expect(nextCriticalSegment(spans, 0)).toBe(1);
    expect(nextCriticalSegment(spans, 1)).toBe(3);
    expect(nextCriticalSegment(spans, 3)).toBe(6);
    expect(nextCriticalSegment(spans, 6)).toBe(0);
    expect(nextCriticalSegment(spans.map((s) => ({ ...s, critical: false })), 0)).toBe(-1);
  });
  it('collapses huge traces below the first level only', () => {
    const big = Array.from({ length: HUGE_TRACE + 2 }, (_, i) => ({ depth: i === 0 ? 0 : i % 2 === 1 ? 1 : 2 }));
    const m = buildModel(big);
    const c = initialCollapsed(m, big);
    expect(c[0]).toBe(0);
    expect(c[1]).toBe(1);
    expect(visibleRows(m, c, null).length).toBe(1 + Math.ceil((HUGE_TRACE + 1) / 2));
    expect(initialCollapsed(buildModel(spans), spans).every((x) => x === 0)).toBe(true);
  });
  it('lays out a 10,000-span trace in linear time', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ depth: i === 0 ? 0 : 1 + (i % 5) }));
    const t0 = performance.now();
    const m = buildModel(many);
    const rows = visibleRows(m, new Uint8Array(m.n), null);
    expect(rows.length).toBe(10_000);
    expect(performance.now() - t0).toBeLessThan(200);
  });
  it('ruler ticks, bar geometry and keyboard moves', () => {
    expect(rulerTicks(1_000_000, 5)).toEqual([0, 200_000, 400_000, 600_000, 800_000, 1_000_000]);
    expect(rulerTicks(7_300, 4)).toEqual([0, 2000, 4000, 6000]);
    expect(barGeometry(250, 500, 1000)).toEqual({ left: 25, width: 50 });
    expect(barGeometry(1000, 0, 1000)).toEqual({ left: 100, width: 0.2 });
    const rows = Int32Array.from([0, 1, 4, 6]);
    expect(moveSelection(rows, 1, 1)).toBe(4);
    expect(moveSelection(rows, 6, 1)).toBe(6);
    expect(moveSelection(rows, 0, -1)).toBe(0);
    expect(moveSelection(rows, 5, 1)).toBe(0);
  });
});
