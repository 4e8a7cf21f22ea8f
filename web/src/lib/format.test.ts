import { describe, expect, it } from 'vitest';
import { change, formatBytes, formatCount, formatDuration, formatPercent, parseDuration } from './format';

// What each figure helper gives for a value, as [value, result] rows per helper.
const cases: [string, (v: never) => unknown, [unknown, unknown][]][] = [
  ['formatDuration picks a readable unit', formatDuration, [
    [850, '850 ns'], [850_000, '850 µs'], [12_345_678, '12.3 ms'], [1_250_000_000, '1.25 s'],
    [125_000_000_000, '2m 05s'], [null, '–'],
  ]],
  ['formatCount', formatCount, [[999, '999'], [12_345, '12.3k'], [1_234_567, '1.23M']]],
  ['formatPercent', formatPercent, [[0.025, '2.5%'], [0, '0%']]],
  ['formatBytes', formatBytes, [[1_048_576, '1 MiB'], [512, '512 B']]],
  ['change against the previous period', (v: [number | null, number]) => change(...v), [
    [[150, 100], 0.5], [[0, 0], 0], [[5, 0], null], [[null, 3], null],
  ]],
  ['parseDuration takes durations as the traces filter does', parseDuration, [
    ['250ms', 250_000_000], ['1.5s', 1_500_000_000], ['2m', 120_000_000_000], ['42', 42],
    ['fast', null],
  ]],
];

describe('formatting figures', () => {
  it.each(cases)('%s', (_what, fn, rows) => {
    for (const [value, result] of rows) expect(fn(value as never), JSON.stringify(value)).toBe(result);
  });
});
