// Traces list: filters kept in the URL (service, operation, duration range, errors only,
// attributes), server-side paging with the total and sorting (the page's cursors are in the URL
// too, one `cursor` per page turned, so Back and reload return to the same page), expandable rows, and a
// duration-over-time scatter of the listed traces where a click opens the trace.
import { Button, Input, Select, Space, Switch, Table, Tag, Tooltip } from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { TraceFilters, TraceSummary } from '../../api/client';
import { useOperations, useServices, useTraces } from '../../api/hooks';
import { Chart, type ChartOptions, type Highcharts } from '../../components/Chart';
import { EmptyHint, ErrorNotice, PanelSkeleton } from '../../components/States';
import { formatCount, formatDuration, parseDuration } from '../../lib/format';
import { formatTime, nsToMs } from '../../lib/time';
import { useLinkTo, usePrefs, useTimeRange } from '../../state/ui';

const PAGE = 50;

export default function TracesPage() {
  const { resolved } = useTimeRange();
  const { zone } = usePrefs();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const linkTo = useLinkTo();
  const service = params.get('service') ?? undefined;
  const operation = params.get('operation') ?? undefined;
  const minD = params.get('min_duration') ?? '';
  const maxD = params.get('max_duration') ?? '';
  const errorsOnly = params.get('error') === 'true';
  const attrs = params.getAll('attr');
  const sort = (params.get('sort') ?? 'start') as TraceFilters['sort'];
  const order = (params.get('order') ?? 'desc') as TraceFilters['order'];
  const cursors = params.getAll('cursor');
  const cursor = cursors[cursors.length - 1];
  const setCursors = (cs: string[]) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.delete('cursor');
      cs.forEach((c) => n.append('cursor', c));
      return n;
    });

  const r = { start: resolved.startMs, end: resolved.endMs };
  const services = useServices(r);
  const operations = useOperations(service, r);
  const filters: TraceFilters = { ...r, service, operation, min_duration: minD || undefined, max_duration: maxD || undefined, error: errorsOnly, attr: attrs, sort, order, limit: PAGE, cursor };
  const traces = useTraces(filters);

  const set = (k: string, v: string | string[] | undefined) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.delete(k);
      n.delete('cursor');
      if (Array.isArray(v)) v.forEach((x) => n.append(k, x));
      else if (v) n.set(k, v);
      if (k === 'service') n.delete('operation');
      return n;
    });

  const [minText, setMinText] = useState(minD);
  const [maxText, setMaxText] = useState(maxD);
  const [attrText, setAttrText] = useState('');
  const badDuration = (t: string) => t.trim() !== '' && parseDuration(t) === null;

  const scatter = useMemo<ChartOptions | null>(() => {
    const list = traces.data?.traces;
    if (!list) return null;
    const pt = (t: TraceSummary) => ({ x: nsToMs(t.start_ns), y: t.duration_ns / 1e6, name: `${t.root_service}: ${t.root_name}`, id: t.trace_id });
    return {
      chart: { type: 'scatter', zooming: { type: 'x' } },
      legend: { enabled: false },
      yAxis: { labels: { format: '{value} ms' } },
      tooltip: { shared: false, pointFormat: '{point.name}<br/>{point.y:.1f} ms' },
      plotOptions: {
        scatter: { marker: { radius: 4 }, cursor: 'pointer', point: { events: { click(this: Highcharts.Point) { const id = this.options.id; if (id) navigate(linkTo(`/traces/${id}`)); } } } },
      },
      series: [
        { type: 'scatter', name: 'ok', color: 'rgba(22,119,255,0.7)', data: list.filter((t) => t.error_count === 0).map(pt) },
        { type: 'scatter', name: 'with errors', color: 'rgba(245,34,45,0.85)', data: list.filter((t) => t.error_count > 0).map(pt) },
      ],
    };
  }, [traces.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const sortOrder = (col: string) => (sort === col ? (order === 'asc' ? 'ascend' : 'descend') : null);
  const onSort = (s: SorterResult<TraceSummary>) => {
    const col = (s.columnKey as string) ?? 'start';
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.delete('cursor');
      if (!s.order) {
        n.delete('sort');
        n.delete('order');
      } else {
        n.set('sort', col);
        n.set('order', s.order === 'ascend' ? 'asc' : 'desc');
      }
      return n;
    });
  };

  return (
    <div className="grid" data-testid="traces">
      <div className="panel">
        <Space wrap>
          <Select allowClear showSearch placeholder="Service" aria-label="service" style={{ width: 180 }} value={service} onChange={(v) => set('service', v)} options={services.data?.services.map((s) => ({ value: s.service, label: s.service }))} data-testid="filter-service" />
          <Select allowClear showSearch placeholder="Operation" aria-label="operation" style={{ width: 200 }} value={operation} disabled={!service} onChange={(v) => set('operation', v)} options={operations.data?.operations.map((o) => ({ value: o.name, label: o.name }))} />
          <Input placeholder="min 250ms" aria-label="minimum duration" status={badDuration(minText) ? 'error' : undefined} style={{ width: 110 }} value={minText} onChange={(e) => setMinText(e.target.value)} onBlur={() => !badDuration(minText) && set('min_duration', minText.trim())} onPressEnter={() => !badDuration(minText) && set('min_duration', minText.trim())} />
          <Input placeholder="max 2s" aria-label="maximum duration" status={badDuration(maxText) ? 'error' : undefined} style={{ width: 110 }} value={maxText} onChange={(e) => setMaxText(e.target.value)} onBlur={() => !badDuration(maxText) && set('max_duration', maxText.trim())} onPressEnter={() => !badDuration(maxText) && set('max_duration', maxText.trim())} />
          <span>
            <Switch size="small" checked={errorsOnly} onChange={(v) => set('error', v ? 'true' : undefined)} aria-label="errors only" data-testid="filter-errors" /> errors only
          </span>
          <Input
            placeholder="attribute key=value"
            aria-label="attribute filter"
            style={{ width: 200 }}
            value={attrText}
            onChange={(e) => setAttrText(e.target.value)}
            onPressEnter={() => {
              if (attrText.includes('=')) {
                set('attr', [...attrs, attrText.trim()]);
                setAttrText('');
              }
            }}
          />
          {attrs.map((a) => (
            <Tag key={a} closable onClose={() => set('attr', attrs.filter((x) => x !== a))}>
              {a}
            </Tag>
          ))}
        </Space>
      </div>
      <div className="panel">
        <div className="panel-title">
          <span>Duration over time</span>
          <span className="muted" style={{ fontWeight: 'normal', fontSize: 12 }}>
            this page's traces; click a point to open it
          </span>
        </div>
        {traces.error ? null : scatter ? <Chart options={scatter} height={200} testId="traces-scatter" /> : <PanelSkeleton rows={4} />}
      </div>
      <div className="panel">
        <div className="panel-title">
          <span data-testid="traces-total">{traces.data ? `${formatCount(traces.data.total)}${traces.data.total_capped ? '+' : ''} traces` : 'Traces'}</span>
          <Space>
            <Button size="small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))} data-testid="prev-page">
              Newer
            </Button>
            <span className="muted" data-testid="page-number">page {cursors.length + 1}</span>
            <Button size="small" disabled={!traces.data?.next_cursor} onClick={() => setCursors([...cursors, traces.data!.next_cursor!])} data-testid="next-page">
              {order === 'desc' && sort === 'start' ? 'Older' : 'Next'}
            </Button>
          </Space>
        </div>
        {traces.error && <ErrorNotice error={traces.error} />}
        {!traces.error && (
          <Table<TraceSummary>
            size="small"
            rowKey="trace_id"
            loading={traces.isFetching && !traces.data}
            dataSource={traces.data?.traces ?? []}
            pagination={false}
            scroll={{ x: 'max-content' }}
            onChange={(_p, _f, s) => onSort(Array.isArray(s) ? s[0] : s)}
            locale={{ emptyText: traces.isLoading ? <PanelSkeleton /> : <EmptyHint title="No traces match" /> }}
            expandable={{
              expandedRowRender: (t) => (
                <Space wrap>
                  <span>{t.span_count} spans</span>
                  <span>{t.error_count} errors</span>
                  {t.services.map((s) => (
                    <Tag key={s}>{s}</Tag>
                  ))}
                  <Link to={linkTo('/logs', { q: `trace_id:${t.trace_id}` })}>logs of this trace</Link>
                </Space>
              ),
            }}
            columns={[
              { key: 'start', title: 'Start', sorter: true, sortOrder: sortOrder('start'), render: (_: unknown, t) => <span className="mono">{formatTime(nsToMs(t.start_ns), zone, 'second')}</span> },
              {
                key: 'root',
                title: 'Root',
                render: (_: unknown, t) => (
                  <Link to={linkTo(`/traces/${t.trace_id}`)} data-testid="trace-link">
                    <b>{t.root_service}</b> {t.root_name}
                  </Link>
                ),
              },
              { key: 'duration', title: 'Duration', sorter: true, sortOrder: sortOrder('duration'), align: 'right', render: (_: unknown, t) => formatDuration(t.duration_ns) },
              { key: 'spans', title: 'Spans', sorter: true, sortOrder: sortOrder('spans'), align: 'right', dataIndex: 'span_count' },
              { key: 'errors', title: 'Errors', align: 'right', render: (_: unknown, t) => (t.error_count ? <Tag color="red">{t.error_count}</Tag> : <span className="muted">0</span>) },
              {
                key: 'services',
                title: 'Services',
                render: (_: unknown, t) => (
                  <Tooltip title={t.services.join(', ')}>
                    <span>{t.services.length}</span>
                  </Tooltip>
                ),
              },
              { key: 'id', title: 'Trace id', render: (_: unknown, t) => <span className="mono muted">{t.trace_id.slice(0, 12)}…</span> },
            ]}
          />
        )}
      </div>
    </div>
  );
}
