import { describe, expect, it } from 'vitest';
import { absoluteRange, chartTimezone, formatFull, formatTime, isRelative, nsToMs, parseRange, parseTimeExpr, PRESETS, rangeLabel, resolveRange, withRange } from './time';

// Vitest runs with TZ=Asia/Kolkata (UTC+05:30, no DST): local and UTC differ by a known offset.
const NOW = Date.UTC(2026, 11, 7, 2, 30, 0); // 02:30 07-Dec UTC

describe('time expressions', () => {
  it('reads relative expressions against now', () => {
    expect(parseTimeExpr('now', NOW)).toBe(NOW);
    expect(parseTimeExpr('now-15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseTimeExpr('now-2h', NOW)).toBe(NOW - 2 * 3_600_000);
    expect(parseTimeExpr(' now - 7d ', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeExpr('now-1w', NOW)).toBe(NOW - 604_800_000);
  });
  it('reads unix milliseconds and ISO dates', () => {
    expect(parseTimeExpr('1733536800000', NOW)).toBe(1733536800000);
    expect(parseTimeExpr('2026-12-07T02:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 7, 2));
    expect(parseTimeExpr('2026-12-07T02:00:00.250+01:00', NOW)).toBe(Date.UTC(2026, 11, 7, 1, 0, 0, 250));
  });
  it('refuses anything else with a message saying what works', () => {
    expect(() => parseTimeExpr('yesterday', NOW)).toThrow(/now-15m/);
    expect(() => parseTimeExpr('now-5y', NOW)).toThrow(/not a time/);
    expect(() => parseTimeExpr('', NOW)).toThrow();
  });
  it('tells relative from absolute', () => {
    expect(isRelative('now-6h')).toBe(true);
    expect(isRelative('now')).toBe(true);
    expect(isRelative('1733536800000')).toBe(false);
  });
});

describe('range in the URL', () => {
  it('defaults to the last hour', () => {
    expect(parseRange(new URLSearchParams(''))).toEqual({ from: 'now-1h', to: 'now' });
    expect(parseRange(new URLSearchParams('from=garbage&to=now'))).toEqual({ from: 'now-1h', to: 'now' });
    expect(parseRange(new URLSearchParams('from=now&to=now-1h'))).toEqual({ from: 'now-1h', to: 'now' });
  });
  it('keeps relative ranges relative and absolute ones absolute', () => {
    const rel = parseRange(new URLSearchParams('from=now-2h&to=now'));
    expect(rel).toEqual({ from: 'now-2h', to: 'now' });
    expect(resolveRange(rel, NOW)).toEqual({ startMs: NOW - 7_200_000, endMs: NOW });
    expect(resolveRange(rel, NOW + 60_000)).toEqual({ startMs: NOW - 7_140_000, endMs: NOW + 60_000 });
    const abs = absoluteRange(1733536800000.4, 1733537400000.2);
    expect(abs).toEqual({ from: '1733536800000', to: '1733537400001' });
    expect(resolveRange(parseRange(withRange(new URLSearchParams(), abs)), NOW + 3_600_000)).toEqual({ startMs: 1733536800000, endMs: 1733537400001 });
  });
  it('writes the range without touching other parameters', () => {
    const p = withRange(new URLSearchParams('q=timeout&from=now-1h&to=now'), { from: 'now-5m', to: 'now' });
    expect(p.toString()).toBe('q=timeout&from=now-5m&to=now');
  });
  it('drops the traces list paging cursors when the range changes', () => {
    const p = withRange(new URLSearchParams('service=cart&cursor=1.ab&cursor=2.cd&from=now-1h&to=now'), { from: 'now-5m', to: 'now' });
    expect(p.toString()).toBe('service=cart&from=now-5m&to=now');
  });
  it('labels presets and absolute ranges', () => {
    expect(PRESETS.map((p) => p.label)).toEqual(['Last 5 minutes', 'Last 15 minutes', 'Last 1 hour', 'Last 6 hours', 'Last 24 hours', 'Last 7 days']);
    expect(rangeLabel({ from: 'now-15m', to: 'now' }, 'utc')).toBe('Last 15 minutes');
    expect(rangeLabel({ from: 'now-2h', to: 'now' }, 'utc')).toBe('now-2h → now');
    expect(rangeLabel(absoluteRange(NOW - 3_600_000, NOW), 'utc')).toBe('01:30 07-Dec → 02:30 07-Dec');
  });
});

describe('formatting in both zones', () => {
  it('formats HH:mm DD-MMM in UTC and local time (offset +05:30)', () => {
    expect(formatTime(NOW, 'utc')).toBe('02:30 07-Dec');
    expect(formatTime(NOW, 'local')).toBe('08:00 07-Dec');
    expect(formatTime(Date.UTC(2026, 11, 31, 20, 0), 'local')).toBe('01:30 01-Jan');
  });
  it('adds seconds and milliseconds when asked', () => {
    const t = NOW + 5_123;
    expect(formatTime(t, 'utc', 'second')).toBe('02:30:05 07-Dec');
    expect(formatTime(t, 'utc', 'millisecond')).toBe('02:30:05.123 07-Dec');
    expect(formatTime(t, 'local', 'millisecond')).toBe('08:00:05.123 07-Dec');
    expect(formatFull(t, 'utc')).toBe('2026-12-07 02:30:05.123 UTC');
    expect(formatFull(t, 'local')).toBe('2026-12-07 08:00:05.123');
  });
  it('converts nanosecond strings exactly enough for milliseconds', () => {
    expect(nsToMs('1733536800123456789')).toBeCloseTo(1733536800123.4568, 3);
    expect(nsToMs('1733536800000000000')).toBe(1733536800000);
    expect(nsToMs(2_500_000)).toBe(2.5);
  });
  it('gives Highcharts the same zone', () => {
    expect(chartTimezone('utc')).toBe('UTC');
    expect(chartTimezone('local')).toMatch(/^Asia\/(Kolkata|Calcutta)$/);
  });
});
