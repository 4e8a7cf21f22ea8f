// UI state shared by every page. Time range and auto-refresh live in the URL (so links, reloads and
// Back keep them); zone and theme are preferences kept in localStorage.
//   const { range, resolved, setRange } = useTimeRange();

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { parseRange, resolveRange, withRange, type ResolvedRange, type TimeRange, type Zone } from '../lib/time';

export type Theme = 'light' | 'dark';

interface Prefs {
  zone: Zone;
  setZone: (z: Zone) => void;
  theme: Theme;
  setTheme: (t: Theme) => void;
}

const PrefsContext = createContext<Prefs | null>(null);

function stored<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  try {
    const v = localStorage.getItem(key);
    return v && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
  } catch {
    return fallback;
  }
}

export function PrefsProvider({ children }: { children: ReactNode }) {
  const [zone, setZoneState] = useState<Zone>(() => stored('argus.zone', ['local', 'utc'] as const, 'local'));
  const [theme, setThemeState] = useState<Theme>(() =>
    stored('argus.theme', ['light', 'dark'] as const, window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'),
  );
  const setZone = useCallback((z: Zone) => {
    localStorage.setItem('argus.zone', z);
    setZoneState(z);
  }, []);
  const setTheme = useCallback((t: Theme) => {
    localStorage.setItem('argus.theme', t);
    setThemeState(t);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const value = useMemo(() => ({ zone, setZone, theme, setTheme }), [zone, setZone, theme, setTheme]);
  return <PrefsContext.Provider value={value}>{children}</PrefsContext.Provider>;
}

export function usePrefs(): Prefs {
  const p = useContext(PrefsContext);
  if (!p) throw new Error('usePrefs outside PrefsProvider');
  return p;
}

export const REFRESH_OPTIONS = [
  { value: 'off', label: 'Off', ms: 0 },
  { value: '5s', label: '5s', ms: 5000 },
  { value: '30s', label: '30s', ms: 30000 },
  { value: '1m', label: '1m', ms: 60000 },
] as const;

interface Clock {
  /** bumps on every auto-refresh tick and on "refresh now"; relative ranges resolve against it */
  now: number;
  refreshNow: () => void;
}
const ClockContext = createContext<Clock | null>(null);

/** Holds the "now" relative ranges resolve against; advances on the URL's refresh interval. */
export function ClockProvider({ children }: { children: ReactNode }) {
  const [params] = useSearchParams();
  const refresh = REFRESH_OPTIONS.find((o) => o.value === params.get('refresh'))?.ms ?? 0;
  const [now, setNow] = useState(() => Date.now());
  const from = params.get('from');
  const to = params.get('to');
  // A new range from the picker resolves against the current time.
  useEffect(() => setNow(Date.now()), [from, to]);
  useEffect(() => {
    if (!refresh) return;
    const t = setInterval(() => setNow(Date.now()), refresh);
    return () => clearInterval(t);
  }, [refresh]);
  const refreshNow = useCallback(() => setNow(Date.now()), []);
  const value = useMemo(() => ({ now, refreshNow }), [now, refreshNow]);
  return <ClockContext.Provider value={value}>{children}</ClockContext.Provider>;
}

export function useClock(): Clock {
  const c = useContext(ClockContext);
  if (!c) throw new Error('useClock outside ClockProvider');
  return c;
}

export interface TimeRangeState {
  range: TimeRange;
  resolved: ResolvedRange;
  setRange: (r: TimeRange) => void;
  refresh: string;
  setRefresh: (v: string) => void;
}

export function useTimeRange(): TimeRangeState {
  const [params, setParams] = useSearchParams();
  const { now } = useClock();
  const range = parseRange(params);
  const resolved = useMemo(() => resolveRange(range, now), [range.from, range.to, now]); // eslint-disable-line react-hooks/exhaustive-deps
  const setRange = useCallback((r: TimeRange) => setParams((p) => withRange(p, r)), [setParams]);
  const refresh = params.get('refresh') ?? 'off';
  const setRefresh = useCallback(
    (v: string) =>
      setParams((p) => {
        const n = new URLSearchParams(p);
        if (v === 'off') n.delete('refresh');
        else n.set('refresh', v);
        return n;
      }),
    [setParams],
  );
  return { range, resolved, setRange, refresh, setRefresh };
}

/** The current range/refresh parameters, to carry across page links. */
export function useRangeSearch(): string {
  const [params] = useSearchParams();
  const keep = new URLSearchParams();
  for (const k of ['from', 'to', 'refresh']) {
    const v = params.get(k);
    if (v) keep.set(k, v);
  }
  return keep.toString();
}

/** A link to path with the current range and extra parameters (extra wins). */
export function useLinkTo(): (path: string, extra?: Record<string, string | undefined>) => string {
  const base = useRangeSearch();
  return useCallback(
    (path: string, extra?: Record<string, string | undefined>) => {
      const p = new URLSearchParams(base);
      for (const [k, v] of Object.entries(extra ?? {})) {
        if (v === undefined) p.delete(k);
        else p.set(k, v);
      }
      const s = p.toString();
      return s ? `${path}?${s}` : path;
    },
    [base],
  );
}
