// Live tail over Server-Sent Events (/api/logs/stream). New lines go on top, at most MAX_LINES are
// kept; while paused, arriving lines wait (also capped) and are counted so "resume" can say how
// many. The browser's EventSource reconnects by itself and sends Last-Event-ID, so a dropped
// connection resumes without gaps; the server's `skipped` events are added up and shown.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type LogFilters, type LogRecord } from '../../api/client';

export const MAX_LINES = 1000;

export type TailStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Newest-first merge of arrivals (oldest first) into lines, capped. */
export function mergeLines(lines: LogRecord[], arrivals: LogRecord[], cap = MAX_LINES): LogRecord[] {
  if (arrivals.length === 0) return lines;
  const fresh = arrivals.slice(-cap).reverse();
  return fresh.concat(lines.slice(0, Math.max(0, cap - fresh.length)));
}

export function useLiveTail(filters: Omit<LogFilters, 'start' | 'end'>, enabled: boolean, paused: boolean) {
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [waiting, setWaiting] = useState(0);
  const [skipped, setSkipped] = useState(0);
  const [status, setStatus] = useState<TailStatus>('closed');
  const incoming = useRef<LogRecord[]>([]);
  const held = useRef<LogRecord[]>([]);
  const dropped = useRef(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const url = api.streamUrl(filters);

  useEffect(() => {
    if (!enabled) {
      setStatus('closed');
      return;
    }
    setLines([]);
    setSkipped(0);
    setWaiting(0);
    incoming.current = [];
    held.current = [];
    dropped.current = 0;
    setStatus('connecting');
    const es = new EventSource(url);
    es.onopen = () => setStatus('live');
    es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    es.addEventListener('log', (e) => {
      try {
        incoming.current.push(JSON.parse((e as MessageEvent<string>).data) as LogRecord);
      } catch {
        /* a malformed event is ignored; the next one is independent */
      }
    });
    es.addEventListener('skipped', (e) => {
      try {
        const n = (JSON.parse((e as MessageEvent<string>).data) as { count: number }).count;
        if (Number.isFinite(n)) setSkipped((s) => s + n);
      } catch {
        /* ignored as above */
      }
    });
    // Batch arrivals: at 1,000 lines/s one render per 250 ms, not one per line.
    const flush = setInterval(() => {
      if (incoming.current.length === 0) return;
      const got = incoming.current;
      incoming.current = [];
      if (pausedRef.current) {
        held.current = held.current.concat(got);
        if (held.current.length > MAX_LINES) {
          dropped.current += held.current.length - MAX_LINES;
          held.current = held.current.slice(-MAX_LINES);
        }
        setWaiting(held.current.length + dropped.current);
      } else {
        setLines((l) => mergeLines(l, got));
      }
    }, 250);
    return () => {
      clearInterval(flush);
      es.close();
    };
  }, [url, enabled]);

  const resume = useCallback(() => {
    const got = held.current;
    held.current = [];
    dropped.current = 0;
    setWaiting(0);
    setLines((l) => mergeLines(l, got));
  }, []);

  useEffect(() => {
    if (!paused) resume();
  }, [paused, resume]);

  return { lines, waiting, skipped, status };
}
