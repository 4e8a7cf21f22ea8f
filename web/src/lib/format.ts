// Number and duration formatting shared by every page.

/** A duration in nanoseconds, readable: "850 µs", "12.3 ms", "1.25 s", "2m 05s". */
export function formatDuration(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || Number.isNaN(ns)) return '–';
  const a = Math.abs(ns);
  if (a < 1_000) return `${Math.round(ns)} ns`;
  if (a < 1_000_000) return `${trim(ns / 1_000)} µs`;
  if (a < 1_000_000_000) return `${trim(ns / 1_000_000)} ms`;
  if (a < 60_000_000_000) return `${trim(ns / 1_000_000_000)} s`;
  const s = Math.round(ns / 1e9);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function trim(v: number): string {
  const a = Math.abs(v);
  const d = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(v.toFixed(d)));
}

/** 1234567 -> "1.23M", 12345 -> "12.3k", 999 -> "999". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9)}G`;
  if (a >= 1e6) return `${trim(n / 1e6)}M`;
  if (a >= 1e4) return `${trim(n / 1e3)}k`;
  return String(Math.round(n * 100) / 100);
}

export function formatPercent(r: number | null | undefined): string {
  if (r === null || r === undefined) return '–';
  const p = r * 100;
  return `${p === 0 ? 0 : p < 0.1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : trim(v)} ${u[i]}`;
}

/** Relative change of current against previous: +0.25 for 25% more; null when undefined. */
export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null) return null;
  if (previous === 0) return current === 0 ? 0 : null;
  return (current - previous) / previous;
}

/** Parses "250ms", "1.5s", "2m", "300us", "42" (ns) into nanoseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!m) return null;
  const mult: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  return Math.round(Number(m[1]) * mult[m[2] ?? 'ns']);
}
