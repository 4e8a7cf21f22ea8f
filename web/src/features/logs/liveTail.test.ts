import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../api/client';
import { mergeLines } from './liveTail';

const rec = (id: number) => ({ id }) as LogRecord;

describe('live tail buffer', () => {
  it('puts arrivals newest first on top', () => {
    expect(mergeLines([rec(2), rec(1)], [rec(3), rec(4)]).map((l) => l.id)).toEqual([4, 3, 2, 1]);
  });
  it('keeps at most the cap, dropping the oldest', () => {
    const lines = Array.from({ length: 5 }, (_, i) => rec(5 - i));
    expect(mergeLines(lines, [rec(6), rec(7)], 5).map((l) => l.id)).toEqual([7, 6, 5, 4, 3]);
    expect(mergeLines(lines, Array.from({ length: 8 }, (_, i) => rec(10 + i)), 5).map((l) => l.id)).toEqual([17, 16, 15, 14, 13]);
  });
  it('returns the same array when nothing arrived', () => {
    const l = [rec(1)];
    expect(mergeLines(l, [])).toBe(l);
  });
});
