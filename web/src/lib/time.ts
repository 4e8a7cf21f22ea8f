// Time ranges as the UI keeps them in the URL (`from`/`to`: "now-1h"/"now" stay relative, unix
// milliseconds stay absolute) and time formatting in the chosen zone (local or UTC).
//   const r = parseRange(new URLSearchParams('from=now-15m&to=now'));
//   resolveRange(r, Date.now()) -> { startMs, endMs }

export type Zone = 'local' | 'utc';

export interface TimeRange {
  /** "now-15m", "now", or unix milliseconds as a decimal string */
  from: string;
  to: string;
}

export interface ResolvedRange {
  startMs: number;
  endMs: number;
}

export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now' };

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const UNIT_NAME: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };

const RELATIVE = /^now(?:\s*-\s*(\d+)\s*([smhdw]))?$/;

/** The picker's quick ranges (up to now), each labelled from its expression: "Last 15 minutes". */
export const PRESETS: { label: string; from: string }[] = ['now-5m', 'now-15m', 'now-1h', 'now-6h', 'now-24h', 'now-7d'].map(
  (from) => {
    const [, n, unit] = RELATIVE.exec(from) ?? [];
    return { label: `Last ${n} ${UNIT_NAME[unit]}${n === '1' ? '' : 's'}`, from };
  },
);

/** True for "now" and "now-<n><unit>". */
export function isRelative(expr: string): boolean {
  return RELATIVE.test(expr.trim());
}

/**
 * A time expression to unix milliseconds: "now", "now-2h", unix ms digits, or an ISO-8601 date.
 * Throws an Error whose message says what is accepted.
 */
export function parseTimeExpr(expr: string, nowMs: number): number {
  const s = expr.trim();
  const rel = RELATIVE.exec(s);
  if (rel) {
    if (!rel[1]) return nowMs;
    return nowMs - Number(rel[1]) * UNIT_MS[rel[2]];
  }
  if (/^\d{10,16}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`"${expr}" is not a time: use now, now-15m (s m h d w), unix milliseconds or an ISO date`);
}

/** The range in the URL, or the default (last hour) when absent or invalid. */
export function parseRange(params: URLSearchParams): TimeRange {
  const from = params.get('from');
  const to = params.get('to');
  if (!from || !to) return { ...DEFAULT_RANGE };
  try {
    const now = Date.now();
    const a = parseTimeExpr(from, now);
    const b = parseTimeExpr(to, now);
    if (a >= b) return { ...DEFAULT_RANGE };
  } catch {
    return { ...DEFAULT_RANGE };
  }
  return { from: from.trim(), to: to.trim() };
}

/** A copy of params with the range written in (other parameters kept). */
export function withRange(params: URLSearchParams, r: TimeRange): URLSearchParams {
  const p = new URLSearchParams(params);
  p.set('from', r.from);
  p.set('to', r.to);
  p.delete('cursor'); // a list's paging position (traces) belongs to the range it was read in
  return p;
}

export function resolveRange(r: TimeRange, nowMs: number): ResolvedRange {
  return { startMs: parseTimeExpr(r.from, nowMs), endMs: parseTimeExpr(r.to, nowMs) };
}

/** An absolute range (both ends fixed), e.g. from a chart bucket or a drag-zoom. */
export function absoluteRange(startMs: number, endMs: number): TimeRange {
  return { from: String(Math.floor(startMs)), to: String(Math.ceil(endMs)) };
}

/** A short label for the picker button. */
export function rangeLabel(r: TimeRange, zone: Zone): string {
  if (r.to === 'now') {
    const p = PRESETS.find((x) => x.from === r.from);
    if (p) return p.label;
    if (isRelative(r.from)) return `${r.from} → now`;
  }
  const label = (e: string) => (isRelative(e) ? e : formatTime(parseTimeExpr(e, Date.now()), zone));
  return `${label(r.from)} → ${label(r.to)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

function parts(ms: number, zone: Zone): Parts {
  const t = new Date(ms);
  return zone === 'utc'
    ? { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds() }
    : { y: t.getFullYear(), mo: t.getMonth(), d: t.getDate(), h: t.getHours(), mi: t.getMinutes(), s: t.getSeconds(), ms: t.getMilliseconds() };
}

export type Precision = 'minute' | 'second' | 'millisecond';

/** "HH:mm DD-MMM" in the zone; with seconds or milliseconds when the view needs them. */
export function formatTime(ms: number, zone: Zone, precision: Precision = 'minute'): string {
  const p = parts(ms, zone);
  let clock = `${pad(p.h)}:${pad(p.mi)}`;
  if (precision !== 'minute') clock += `:${pad(p.s)}`;
  if (precision === 'millisecond') clock += `.${pad(p.ms, 3)}`;
  return `${clock} ${pad(p.d)}-${MONTHS[p.mo]}`;
}

/** "2026-12-07 14:03:05" in the zone, for tooltips and inputs. */
export function formatFull(ms: number, zone: Zone): string {
  const p = parts(ms, zone);
  return `${p.y}-${pad(p.mo + 1)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}.${pad(p.ms, 3)}${zone === 'utc' ? ' UTC' : ''}`;
}

/** Unix nanoseconds (decimal string, as the API sends them) to milliseconds with fraction. */
export function nsToMs(ns: string | number): number {
  if (typeof ns === 'number') return ns / 1e6;
  const b = BigInt(ns);
  return Number(b / 1_000_000n) + Number(b % 1_000_000n) / 1e6;
}

/** The IANA zone name Highcharts should use so its axes agree with formatTime. */
export function chartTimezone(zone: Zone): string {
  return zone === 'utc' ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone;
}
