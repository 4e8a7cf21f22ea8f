import { describe, expect, it } from 'vitest';
import { change, formatBytes, formatCount, formatDuration, formatPercent, parseDuration } from './format';

describe('formatting figures', () => {
  it('durations pick a readable unit', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(850_000)).toBe('850 µs');
    expect(formatDuration(12_345_678)).toBe('12.3 ms');
    expect(formatDuration(1_250_000_000)).toBe('1.25 s');
    expect(formatDuration(125_000_000_000)).toBe('2m 05s');
    expect(formatDuration(null)).toBe('–');
  });
  it('counts, percentages and bytes', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(1_234_567)).toBe('1.23M');
    expect(formatPercent(0.025)).toBe('2.5%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatBytes(1_048_576)).toBe('1 MiB');
    expect(formatBytes(512)).toBe('512 B');
  });
  it('change against the previous period', () => {
    expect(change(150, 100)).toBe(0.5);
    expect(change(0, 0)).toBe(0);
    expect(change(5, 0)).toBeNull();
    expect(change(null, 3)).toBeNull();
  });
  it('parses durations as the traces filter takes them', () => {
    expect(parseDuration('250ms')).toBe(250_000_000);
    expect(parseDuration('1.5s')).toBe(1_500_000_000);
    expect(parseDuration('2m')).toBe(120_000_000_000);
    expect(parseDuration('42')).toBe(42);
    expect(parseDuration('fast')).toBeNull();
  });
});
