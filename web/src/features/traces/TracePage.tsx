// Trace view: a virtualized waterfall (rows computed once from the flat span array, see
// waterfall.ts) with a time ruler and minimap, collapse/expand, critical path with "next critical
// segment", span search with "matches only", keyboard navigation, error marks, event and log dots,
// and a details panel. Keys: ↑/↓ move, ←/→ collapse/expand, Enter opens details.
import { AimOutlined, ArrowLeftOutlined, CompressOutlined, ExpandOutlined, QuestionCircleOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Button, Checkbox, Input, Popover, Space, Tag, Tooltip } from 'antd';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, type LogRecord, type Span, type Trace } from '../../api/client';
import { useTrace } from '../../api/hooks';
import { ErrorNotice, PanelSkeleton } from '../../components/States';
import { formatDuration } from '../../lib/format';
import { formatTime, nsToMs } from '../../lib/time';
import { useLinkTo, usePrefs } from '../../state/ui';
import { SpanDetails } from './SpanDetails';
import { barGeometry, buildModel, collapseAll, initialCollapsed, matchSpans, moveSelection, nextCriticalSegment, revealSpan, rulerTicks, visibleRows, withAncestors } from './waterfall';
import './waterfall.css';

const ROW = 26;

const SERVICE_COLORS = ['#1677ff', '#13c2c2', '#722ed1', '#eb2f96', '#52c41a', '#fa8c16', '#2f54eb', '#a0d911', '#faad14', '#597ef7'];

export default function TracePage() {
  const { traceId } = useParams();
  const trace = useTrace(traceId);
  const linkTo = useLinkTo();
  if (trace.error) {
    return (
      <div>
        <Link to={linkTo('/traces')}>
          <ArrowLeftOutlined /> Traces
        </Link>
        <ErrorNotice error={trace.error} title="This trace could not be loaded" />
      </div>
    );
  }
  if (!trace.data) return <div className="panel"><PanelSkeleton rows={12} /></div>;
  return <TraceView trace={trace.data} />;
}

function useTraceLogs(t: Trace) {
  const start = Math.floor(nsToMs(t.start_ns)) - 60_000;
  const end = Math.ceil(nsToMs(t.start_ns) + t.duration_ns / 1e6) + 60_000;
  return useQuery({
    queryKey: ['trace-logs', t.trace_id],
    queryFn: ({ signal }) => api.logs({ trace_id: t.trace_id, start, end, limit: 1000 }, signal),
    enabled: t.log_count > 0,
    staleTime: 60_000,
  });
}

function TraceView({ trace }: { trace: Trace }) {
  const { zone } = usePrefs();
  const linkTo = useLinkTo();
  const spans = trace.spans;
  const model = useMemo(() => buildModel(spans), [spans]);
  // ?span=<id> (from a log line) selects that span, expands its ancestors and opens its details.
  const [params] = useSearchParams();
  const target = useMemo(() => {
    const id = params.get('span');
    return id ? spans.findIndex((s) => s.span_id === id) : -1;
  }, [params, spans]);
  const [collapsed, setCollapsed] = useState(() => {
    const c = initialCollapsed(model, spans);
    return target >= 0 ? revealSpan(model, c, target) : c;
  });
  const [search, setSearch] = useState('');
  const [matchesOnly, setMatchesOnly] = useState(false);
  const [selected, setSelected] = useState(Math.max(0, target));
  const [details, setDetails] = useState<number | null>(target >= 0 ? target : null);
  const logs = useTraceLogs(trace);

  const services = useMemo(() => {
    const m = new Map<string, string>();
    trace.services.forEach((s, i) => m.set(s, SERVICE_COLORS[i % SERVICE_COLORS.length]));
    return m;
  }, [trace.services]);
  const logsBySpan = useMemo(() => {
    const m = new Map<string, LogRecord[]>();
    for (const l of logs.data?.logs ?? []) {
      if (!l.span_id) continue;
      const a = m.get(l.span_id);
      if (a) a.push(l);
      else m.set(l.span_id, [l]);
    }
    return m;
  }, [logs.data]);
  const matches = useMemo(() => matchSpans(spans, search), [spans, search]);
  const matchCount = useMemo(() => matches.reduce((a, b) => a + b, 0), [matches]);
  const only = useMemo(() => (matchesOnly && search.trim() ? withAncestors(model, matches) : null), [matchesOnly, search, model, matches]);
  const rows = useMemo(() => visibleRows(model, collapsed, only), [model, collapsed, only]);
  const position = useMemo(() => {
    const p = new Int32Array(model.n).fill(-1);
    rows.forEach((s, k) => (p[s] = k));
    return p;
  }, [rows, model.n]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 20 });
  useEffect(() => {
    if (target >= 0 && position[target] >= 0) virtualizer.scrollToIndex(position[target], { align: 'center' });
  }, [target]); // eslint-disable-line react-hooks/exhaustive-deps

  const focus = useCallback(
    (i: number) => {
      setSelected(i);
      const c = revealSpan(model, collapsed, i);
      if (c !== collapsed) setCollapsed(c);
      requestAnimationFrame(() => {
        const k = visibleRows(model, c, only).indexOf(i);
        if (k >= 0) virtualizer.scrollToIndex(k, { align: 'auto' });
      });
    },
    [model, collapsed, only, virtualizer],
  );

  const toggle = (i: number, open?: boolean) => {
    if (model.childCount[i] === 0) return;
    const c = new Uint8Array(collapsed);
    c[i] = open === undefined ? (c[i] ? 0 : 1) : open ? 0 : 1;
    setCollapsed(c);
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (e.target instanceof HTMLInputElement) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = moveSelection(rows, selected, e.key === 'ArrowDown' ? 1 : -1);
      if (next >= 0) {
        setSelected(next);
        const k = position[next];
        if (k >= 0) virtualizer.scrollToIndex(k, { align: 'auto' });
      }
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      if (model.childCount[selected] > 0 && !collapsed[selected]) toggle(selected, false);
      else if (model.parent[selected] >= 0) focus(model.parent[selected]);
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      if (model.childCount[selected] > 0 && collapsed[selected]) toggle(selected, true);
      else if (model.childCount[selected] > 0) focus(selected + 1);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      setDetails(selected);
    }
  };

  // Rows get stable callbacks (by span index), so scrolling re-renders only rows that change.
  const actions = useRef({ toggle, select: (i: number) => i });
  actions.current = {
    toggle,
    select: (i: number) => {
      setSelected(i);
      setDetails(i);
      return i;
    },
  };
  const onToggle = useCallback((i: number) => actions.current.toggle(i), []);
  const onSelect = useCallback((i: number) => actions.current.select(i), []);

  const ticks = useMemo(() => rulerTicks(trace.duration_ns, 6), [trace.duration_ns]);
  const errors = useMemo(() => spans.reduce((a, s) => a + (s.status_code === 'ERROR' ? 1 : 0), 0), [spans]);
  const root = spans[0];
  const startMs = nsToMs(trace.start_ns);

  return (
    <div className="trace-view" data-testid="trace-view">
      <div className="panel trace-head">
        <div className="trace-title">
          <Link to={linkTo('/traces')} aria-label="back to traces">
            <ArrowLeftOutlined />
          </Link>
          <b>{root?.service}</b> <span>{root?.name}</span>
        </div>
        <Space wrap size={[12, 4]} className="muted">
          <span className="mono">{trace.trace_id}</span>
          <span>{formatTime(startMs, zone, 'millisecond')}</span>
          <span>{formatDuration(trace.duration_ns)}</span>
          <span data-testid="span-count">{spans.length} spans</span>
          <span>{trace.services.length} services</span>
          {errors > 0 && <Tag color="red">{errors} errors</Tag>}
          <Link to={linkTo('/logs', { q: `trace_id:${trace.trace_id}`, from: String(Math.floor(startMs) - 60_000), to: String(Math.ceil(startMs + trace.duration_ns / 1e6) + 60_000) })} data-testid="trace-logs-link">
            {trace.log_count} logs of this trace →
          </Link>
        </Space>
      </div>
      <div className="panel waterfall-panel">
        <div className="waterfall-toolbar">
          <Input.Search allowClear placeholder="Find spans (name, service, attribute)" aria-label="find spans" value={search} onChange={(e) => setSearch(e.target.value)} style={{ maxWidth: 320 }} data-testid="span-search" onSearch={() => { const first = matches.indexOf(1); if (first >= 0) focus(first); }} />
          {search.trim() && <span className="muted" data-testid="match-count">{matchCount} matches</span>}
          <Checkbox checked={matchesOnly} onChange={(e) => setMatchesOnly(e.target.checked)} data-testid="matches-only">
            matches only
          </Checkbox>
          <Button size="small" icon={<CompressOutlined />} onClick={() => setCollapsed(collapseAll(model))} data-testid="collapse-all">
            Collapse all
          </Button>
          <Button size="small" icon={<ExpandOutlined />} onClick={() => setCollapsed(new Uint8Array(model.n))} data-testid="expand-all">
            Expand all
          </Button>
          <Button size="small" icon={<AimOutlined />} onClick={() => { const i = nextCriticalSegment(spans, selected); if (i >= 0) focus(i); }} data-testid="next-critical">
            Next critical segment
          </Button>
          <Popover
            title="Keyboard"
            content={
              <div style={{ fontSize: 13 }}>
                ↑ / ↓ select the previous / next span
                <br />← collapse (or go to the parent), → expand
                <br />Enter: details of the selected span
              </div>
            }
          >
            <QuestionCircleOutlined className="muted" />
          </Popover>
        </div>
        <Minimap spans={spans} rows={rows} total={trace.duration_ns} scroller={scroller} />
        <div className="waterfall-ruler">
          <div className="wf-name-col muted">Service · span</div>
          <div className="wf-bar-col">
            {ticks.map((t) => (
              <span key={t} className="wf-tick" style={{ left: `${(t / Math.max(1, trace.duration_ns)) * 100}%` }}>
                {formatDuration(t)}
              </span>
            ))}
          </div>
        </div>
        <div ref={scroller} className="waterfall-scroll" tabIndex={0} onKeyDown={onKey} data-testid="waterfall" aria-label="waterfall">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((v) => {
              const i = rows[v.index];
              const s = spans[i];
              return (
                <SpanRow
                  key={i}
                  index={i}
                  span={s}
                  top={v.start}
                  total={trace.duration_ns}
                  color={services.get(s.service) ?? '#1677ff'}
                  selected={i === selected}
                  matched={!!matches[i]}
                  hasChildren={model.childCount[i] > 0}
                  isCollapsed={!!collapsed[i]}
                  hidden={collapsed[i] ? model.end[i] - i - 1 : 0}
                  logs={logsBySpan.get(s.span_id)}
                  traceStartMs={startMs}
                  onToggle={onToggle}
                  onSelect={onSelect}
                />
              );
            })}
          </div>
        </div>
      </div>
      <SpanDetails span={details === null ? null : spans[details]} trace={trace} logs={details === null ? [] : (logsBySpan.get(spans[details].span_id) ?? [])} onClose={() => setDetails(null)} />
    </div>
  );
}

const SpanRow = memo(function SpanRow(p: { index: number; span: Span; top: number; total: number; color: string; selected: boolean; matched: boolean; hasChildren: boolean; isCollapsed: boolean; hidden: number; logs?: LogRecord[]; traceStartMs: number; onToggle: (i: number) => void; onSelect: (i: number) => number }) {
  const s = p.span;
  const g = barGeometry(s.offset_ns, s.duration_ns, p.total);
  const err = s.status_code === 'ERROR';
  const pos = (ms: number) => (s.duration_ns > 0 ? Math.min(100, Math.max(0, ((ms - p.traceStartMs) * 1e6 - s.offset_ns) / s.duration_ns * 100)) : 0);
  return (
    <div className={`wf-row${p.selected ? ' wf-selected' : ''}${p.matched ? ' wf-matched' : ''}`} style={{ transform: `translateY(${p.top}px)` }} onClick={() => p.onSelect(p.index)} data-testid="span-row" data-span-id={s.span_id}>
      <div className="wf-name-col" style={{ paddingLeft: 4 + Math.min(s.depth, 24) * 12 }} title={`${s.service} · ${s.name}`}>
        {p.hasChildren ? (
          <button
            type="button"
            className="wf-toggle"
            aria-label={p.isCollapsed ? 'expand' : 'collapse'}
            onClick={(e) => {
              e.stopPropagation();
              p.onToggle(p.index);
            }}
          >
            {p.isCollapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="wf-toggle-space" />
        )}
        <span className="wf-service-dot" style={{ background: p.color }} />
        {err && <span className="wf-error" title={s.status_message ?? 'error'}>!</span>}
        <span className="wf-service">{s.service}</span>
        <span className="wf-span-name">{s.name}</span>
        {p.isCollapsed && <span className="wf-hidden">+{p.hidden}</span>}
      </div>
      <div className="wf-bar-col">
        <div className={`wf-bar${s.critical ? ' wf-critical' : ''}${err ? ' wf-bar-error' : ''}`} style={{ left: `${g.left}%`, width: `${g.width}%`, background: err ? undefined : p.color }}>
          {s.events.map((ev, k) => (
            <span key={k} className="wf-event" style={{ left: `${pos(nsToMs(ev.time_unix_nano))}%` }} title={`event: ${ev.name}`} />
          ))}
          {p.logs?.map((l) => (
            <span key={l.id} className="wf-log" style={{ left: `${pos(nsToMs(l.time_unix_nano))}%` }} title={`log: ${typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}`} />
          ))}
        </div>
        {g.left + g.width > 88 ? (
          <span className="wf-duration wf-duration-inside" style={{ right: `${100 - g.left - g.width}%` }}>
            {formatDuration(s.duration_ns)}
          </span>
        ) : (
          <span className="wf-duration" style={{ left: `${g.left + g.width}%` }}>
            {formatDuration(s.duration_ns)}
          </span>
        )}
      </div>
    </div>
  );
});

function Minimap({ spans, rows, total, scroller }: { spans: Span[]; rows: Int32Array; total: number; scroller: RefObject<HTMLDivElement | null> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState({ top: 0, height: 1 });
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const update = () => setView({ top: el.scrollTop / Math.max(1, el.scrollHeight), height: el.clientHeight / Math.max(1, el.scrollHeight) });
    update();
    el.addEventListener('scroll', update, { passive: true });
    return () => el.removeEventListener('scroll', update);
  }, [scroller, rows.length]);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const w = (c.width = c.clientWidth * devicePixelRatio);
    const h = (c.height = c.clientHeight * devicePixelRatio);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    const rh = Math.min(6 * devicePixelRatio, Math.max(1, h / Math.max(1, rows.length)));
    const step = Math.min(h / Math.max(1, rows.length), rh + devicePixelRatio);
    for (let k = 0; k < rows.length; k++) {
      const s = spans[rows[k]];
      ctx.fillStyle = s.status_code === 'ERROR' ? '#f5222d' : s.critical ? '#fa8c16' : '#69b1ff';
      const x = (s.offset_ns / Math.max(1, total)) * w;
      ctx.fillRect(x, k * step, Math.max(1, (s.duration_ns / Math.max(1, total)) * w), rh);
    }
  }, [spans, rows, total]);
  const jump = (f: number) => {
    const el = scroller.current;
    if (el) el.scrollTop = f * el.scrollHeight - el.clientHeight / 2;
  };
  return (
    <div className="wf-minimap" onClick={(e) => { const r = e.currentTarget.getBoundingClientRect(); jump((e.clientY - r.top) / r.height); }} data-testid="minimap">
      <canvas ref={canvas} />
      <div className="wf-minimap-view" style={{ top: `${view.top * 100}%`, height: `${Math.max(4, view.height * 100)}%` }} />
      <Tooltip title="Minimap: click to jump">
        <span className="wf-minimap-label">{rows.length} rows</span>
      </Tooltip>
    </div>
  );
}
