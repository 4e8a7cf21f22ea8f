// Log Explorer: query bar (API syntax, help popover), service and severity facets with counts,
// a volume histogram (drag to zoom the time range), the virtualized log table with infinite
// cursor paging, a patterns tab, context around a line, and the live tail over SSE.
import { CaretRightOutlined, PauseOutlined, QuestionCircleOutlined } from '@ant-design/icons';
import { Alert, Badge, Button, Checkbox, Input, Popover, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useCallback, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { SEVERITIES, type LogFilters, type LogRecord, type Pattern } from '../../api/client';
import { useLogHistogram, useLogPages, usePatterns, useServices } from '../../api/hooks';
import { Chart, SEVERITY_COLORS, type ChartOptions } from '../../components/Chart';
import { EmptyHint, ErrorNotice, PanelSkeleton } from '../../components/States';
import { formatCount } from '../../lib/format';
import { addTerm, QUERY_EXAMPLES, queryError } from '../../lib/query';
import { absoluteRange, formatTime, nsToMs } from '../../lib/time';
import { usePrefs, useTimeRange } from '../../state/ui';
import { ContextModal } from './ContextModal';
import { useLiveTail } from './liveTail';
import { LogTable } from './LogTable';
import './logs.css';

function QueryHelp({ onPick }: { onPick: (q: string) => void }) {
  return (
    <div style={{ maxWidth: 380 }} data-testid="query-help">
      <p style={{ marginTop: 0 }}>Terms separated by spaces; all must match. Quote values with spaces.</p>
      {QUERY_EXAMPLES.map((e) => (
        <div key={e.q} style={{ marginBottom: 4 }}>
          <a onClick={() => onPick(e.q)} className="mono">
            {e.q}
          </a>
          <div className="muted" style={{ fontSize: 12 }}>
            {e.what}
          </div>
        </div>
      ))}
    </div>
  );
}

export default function LogsPage() {
  const { resolved, setRange } = useTimeRange();
  const { zone } = usePrefs();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const services = params.getAll('service');
  const severity = params.get('severity') ?? undefined;
  const tab = params.get('tab') ?? 'logs';
  const [draft, setDraft] = useState(q);
  const [lastQ, setLastQ] = useState(q);
  if (q !== lastQ) {
    setLastQ(q);
    setDraft(q);
  }
  const qError = queryError(q);
  const draftError = queryError(draft);

  const update = useCallback(
    (f: (p: URLSearchParams) => void) =>
      setParams((p) => {
        const n = new URLSearchParams(p);
        f(n);
        return n;
      }),
    [setParams],
  );
  const setQ = (v: string) => update((p) => (v.trim() ? p.set('q', v.trim()) : p.delete('q')));
  const onFilter = (key: string, value: string, exclude: boolean) => setQ(addTerm(q, key, value, exclude));

  const r = { start: resolved.startMs, end: resolved.endMs };
  const filters: LogFilters = { ...r, service: services, severity, q: q || undefined };
  const valid = !qError;
  const histogram = useLogHistogram(filters, valid);
  const pages = useLogPages(filters, valid && tab === 'logs');
  const svc = useServices(r);
  const patterns = usePatterns({ ...r, service: services.length === 1 ? services[0] : undefined }, tab === 'patterns');

  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  // Expanded lines belong to one result: a new query, filter or tab starts with all lines closed.
  const resultKey = `${q}|${services.join(',')}|${severity ?? ''}|${tab}`;
  const [lastResult, setLastResult] = useState(resultKey);
  if (resultKey !== lastResult) {
    setLastResult(resultKey);
    setExpanded(new Set());
  }
  const toggle = (id: number) =>
    setExpanded((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const [context, setContext] = useState<LogRecord | null>(null);

  // live tail: pauses when scrolled away from the top or a line is expanded
  const [scrolled, setScrolled] = useState(false);
  const [userPaused, setUserPaused] = useState(false);
  const tailPaused = userPaused || scrolled || expanded.size > 0;
  const tail = useLiveTail({ service: services, severity, q: q || undefined }, tab === 'live' && valid, tailPaused);
  const tailScroll = useRef<HTMLDivElement>(null);
  const resumeTail = () => {
    setUserPaused(false);
    setExpanded(new Set());
    setScrolled(false);
    if (tailScroll.current) tailScroll.current.scrollTop = 0;
  };

  const logs = useMemo(() => pages.data?.pages.flatMap((p) => p.logs) ?? [], [pages.data]);
  const sevCounts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const b of histogram.data?.buckets ?? []) for (const s of SEVERITIES) c[s] = (c[s] ?? 0) + (b.counts[s] ?? 0);
    return c;
  }, [histogram.data]);
  const total = useMemo(() => histogram.data?.buckets.reduce((a, b) => a + b.total, 0) ?? null, [histogram.data]);

  const chart = useMemo<ChartOptions | null>(() => {
    const h = histogram.data;
    if (!h) return null;
    return {
      chart: {
        type: 'column',
        zooming: { type: 'x' },
        events: {
          selection(e: { xAxis?: { min: number; max: number }[] }) {
            const x = e.xAxis?.[0];
            if (x) setRange(absoluteRange(x.min, x.max));
            return false;
          },
        },
      },
      legend: { enabled: false },
      plotOptions: { column: { stacking: 'normal', pointRange: h.step_ms, groupPadding: 0, pointPadding: 0.05, borderWidth: 0 } },
      series: SEVERITIES.map((s) => ({ type: 'column' as const, name: s, color: SEVERITY_COLORS[s], data: h.buckets.map((b) => [b.start_ms, b.counts[s] ?? 0] as [number, number]) })).filter((s) => s.data.some((d) => d[1] > 0)),
    };
  }, [histogram.data, setRange]);

  return (
    <div className="logs-page" data-testid="logs">
      <div className="panel logs-query">
        <Space.Compact style={{ width: '100%' }}>
          <Input
            aria-label="log query"
            data-testid="log-query"
            placeholder='Search logs: timeout service:checkout -level:<=INFO attr.http.route:"/api/cart"'
            value={draft}
            status={draftError ? 'error' : undefined}
            onChange={(e) => setDraft(e.target.value)}
            onPressEnter={() => !draftError && setQ(draft)}
            allowClear
          />
          <Popover content={<QueryHelp onPick={(x) => { setDraft(x); setQ(x); }} />} title="Query syntax" trigger="click" placement="bottomRight">
            <Button icon={<QuestionCircleOutlined />} aria-label="query help" data-testid="query-help-button" />
          </Popover>
          <Button type="primary" disabled={!!draftError} onClick={() => setQ(draft)}>
            Search
          </Button>
        </Space.Compact>
        {draftError && (
          <Typography.Text type="danger" style={{ fontSize: 12 }} data-testid="query-error">
            {draftError}
          </Typography.Text>
        )}
      </div>
      <div className="logs-body">
        <aside className="panel facets" data-testid="facets">
          <div className="facet-title">Severity</div>
          {SEVERITIES.map((s) => (
            <div key={s} className={`facet-item${severity === s ? ' facet-on' : ''}`} onClick={() => update((p) => (severity === s ? p.delete('severity') : p.set('severity', s)))} data-testid={`facet-severity-${s}`}>
              <span className="sev-dot" style={{ background: SEVERITY_COLORS[s] }} /> {s}
              <span className="facet-count">{formatCount(sevCounts[s] ?? 0)}</span>
            </div>
          ))}
          <div className="facet-title" style={{ marginTop: 12 }}>
            Service
          </div>
          {svc.data?.services.filter((s) => s.logs > 0 || services.includes(s.service)).map((s) => (
            <div key={s.service} className="facet-item">
              <Checkbox
                checked={services.includes(s.service)}
                onChange={(e) =>
                  update((p) => {
                    const cur = p.getAll('service').filter((x) => x !== s.service);
                    if (e.target.checked) cur.push(s.service);
                    p.delete('service');
                    cur.forEach((x) => p.append('service', x));
                  })
                }
                data-testid={`facet-service-${s.service}`}
              >
                {s.service}
              </Checkbox>
              <span className="facet-count">{formatCount(s.logs)}</span>
            </div>
          )) ?? <PanelSkeleton rows={3} />}
        </aside>
        <section className="logs-main">
          <div className="panel">
            <div className="panel-title">
              <span data-testid="log-total">{total === null ? 'Log volume' : `${formatCount(total)} logs`}</span>
              <span className="muted" style={{ fontWeight: 'normal', fontSize: 12 }}>
                drag across the chart to zoom in
              </span>
            </div>
            {qError ? <Alert type="error" title={`The query is not valid: ${qError}`} /> : histogram.error ? <ErrorNotice error={histogram.error} /> : chart ? <Chart options={chart} height={130} testId="log-histogram" /> : <PanelSkeleton rows={2} />}
          </div>
          <div className="panel logs-list">
            <Tabs
              activeKey={tab}
              onChange={(k) => update((p) => (k === 'logs' ? p.delete('tab') : p.set('tab', k)))}
              size="small"
              items={[
                { key: 'logs', label: 'Logs' },
                { key: 'live', label: <span data-testid="live-tab">Live tail</span> },
                { key: 'patterns', label: 'Patterns' },
              ]}
            />
            {tab === 'logs' &&
              (pages.error ? (
                <ErrorNotice error={pages.error} />
              ) : !pages.data && valid ? (
                <PanelSkeleton rows={8} />
              ) : logs.length === 0 ? (
                <EmptyHint title="No logs match" />
              ) : (
                <LogTable
                  logs={logs}
                  zone={zone}
                  expanded={expanded}
                  onToggle={toggle}
                  onFilter={onFilter}
                  onContext={setContext}
                  onEndReached={() => pages.hasNextPage && !pages.isFetchingNextPage && pages.fetchNextPage()}
                  footer={<div className="log-footer muted">{pages.isFetchingNextPage ? 'Loading older logs…' : pages.hasNextPage ? '' : `${logs.length} logs, the end of this range`}</div>}
                />
              ))}
            {tab === 'live' && (
              <div data-testid="live-tail">
                <div className="tail-bar">
                  <Badge status={tail.status === 'live' ? 'processing' : tail.status === 'reconnecting' ? 'warning' : 'default'} text={<span data-testid="tail-status">{tail.status}</span>} />
                  {tailPaused ? (
                    <Button size="small" type="primary" icon={<CaretRightOutlined />} onClick={resumeTail} data-testid="tail-resume">
                      Resume{tail.waiting ? ` (${formatCount(tail.waiting)} new)` : ''}
                    </Button>
                  ) : (
                    <Button size="small" icon={<PauseOutlined />} onClick={() => setUserPaused(true)} data-testid="tail-pause">
                      Pause
                    </Button>
                  )}
                  {tail.skipped > 0 && (
                    <Tag color="orange" data-testid="tail-skipped">
                      {formatCount(tail.skipped)} lines skipped by the server
                    </Tag>
                  )}
                  <span className="muted">newest on top · last {tail.lines.length} of at most 1,000 kept</span>
                </div>
                {tail.lines.length === 0 ? (
                  <EmptyHint title={tail.status === 'live' ? 'Waiting for new logs…' : 'Connecting…'}>
                    <Typography.Text type="secondary">New matching logs appear here as they are stored.</Typography.Text>
                  </EmptyHint>
                ) : (
                  <LogTable logs={tail.lines} zone={zone} expanded={expanded} onToggle={toggle} onFilter={onFilter} onContext={setContext} scrollRef={tailScroll} onScroll={(top) => setScrolled(top > 4)} testId="tail-table" />
                )}
              </div>
            )}
            {tab === 'patterns' && (patterns.error ? <ErrorNotice error={patterns.error} /> : !patterns.data ? <PanelSkeleton rows={6} /> : <PatternTable rows={patterns.data.patterns} zone={zone} onPick={(id) => update((p) => { p.set('q', addTerm(q, 'pattern', id)); p.delete('tab'); })} />)}
          </div>
        </section>
      </div>
      <ContextModal log={context} onClose={() => setContext(null)} />
    </div>
  );
}

function PatternTable({ rows, zone, onPick }: { rows: Pattern[]; zone: 'local' | 'utc'; onPick: (id: string) => void }) {
  if (rows.length === 0) return <EmptyHint title="No log patterns in this range">Patterns are computed shortly after logs arrive.</EmptyHint>;
  return (
    <div data-testid="patterns">
    <Table<Pattern>
      size="small"
      rowKey="pattern_id"
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      dataSource={rows}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: 'Count', dataIndex: 'count', align: 'right', render: formatCount },
        {
          title: 'Pattern',
          dataIndex: 'template',
          render: (t: string, p) => (
            <a onClick={() => onPick(p.pattern_id)} className="mono" title={`example: ${p.example}`}>
              {t}
            </a>
          ),
        },
        { title: 'Insight', dataIndex: 'insight', render: (i: string | null) => (i ? <Tag color="purple">{i}</Tag> : null) },
        { title: 'Services', dataIndex: 'services', render: (s?: string[]) => s?.join(', ') },
        { title: 'Last seen', dataIndex: 'last_ns', render: (ns: string) => <span className="mono">{formatTime(nsToMs(ns), zone, 'second')}</span> },
      ]}
    />
    </div>
  );
}
