// Dashboard: KPI cards against the previous period, traffic / errors / latency over time (overall
// and per service), logs by severity, and the top failing services with their worst operations.
// Clicking a chart bucket opens the traces or logs of exactly that window.
import { Select, Tag, Tooltip } from 'antd';
import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { SEVERITIES, type FailingService, type PeriodSummary, type Timeseries } from '../../api/client';
import { useServices, useSummary, useTimeseries, useTopFailing } from '../../api/hooks';
import { Chart, SEVERITY_COLORS, type ChartOptions } from '../../components/Chart';
import { EmptyHint, ErrorNotice, PanelSkeleton } from '../../components/States';
import { change, formatCount, formatDuration, formatPercent } from '../../lib/format';
import { absoluteRange } from '../../lib/time';
import { useLinkTo, useTimeRange } from '../../state/ui';

interface Kpi {
  label: string;
  value: (p: PeriodSummary) => number | null;
  format: (v: number | null) => string;
  /** true when a rise is bad (errors, latency) */
  badUp: boolean;
  testId: string;
}

const KPIS: Kpi[] = [
  { label: 'Requests', value: (p) => p.requests, format: formatCount, badUp: false, testId: 'kpi-requests' },
  { label: 'Errors', value: (p) => p.errors, format: formatCount, badUp: true, testId: 'kpi-errors' },
  { label: 'Error rate', value: (p) => p.error_rate, format: formatPercent, badUp: true, testId: 'kpi-error-rate' },
  { label: 'p50 latency', value: (p) => p.p50_ns, format: formatDuration, badUp: true, testId: 'kpi-p50' },
  { label: 'p95 latency', value: (p) => p.p95_ns, format: formatDuration, badUp: true, testId: 'kpi-p95' },
  { label: 'p99 latency', value: (p) => p.p99_ns, format: formatDuration, badUp: true, testId: 'kpi-p99' },
  { label: 'Error logs', value: (p) => p.logs.ERROR + p.logs.FATAL, format: formatCount, badUp: true, testId: 'kpi-error-logs' },
];

function KpiCard({ kpi, current, previous }: { kpi: Kpi; current: PeriodSummary; previous: PeriodSummary }) {
  const v = kpi.value(current);
  const d = change(v, kpi.value(previous));
  const cls = d === null || d === 0 ? 'muted' : d > 0 === kpi.badUp ? 'delta-up' : 'delta-down';
  return (
    <div className="panel" data-testid={kpi.testId}>
      <div className="kpi-label">{kpi.label}</div>
      <div className="kpi-value" data-testid={`${kpi.testId}-value`}>
        {kpi.format(v)}
      </div>
      <Tooltip title={`previous period: ${kpi.format(kpi.value(previous))}`}>
        <span className={cls} style={{ fontSize: 12 }}>
          {d === null ? 'no earlier data' : `${d > 0 ? '▲' : d < 0 ? '▼' : ''} ${formatPercent(Math.abs(d))} vs previous`}
        </span>
      </Tooltip>
    </div>
  );
}

type BucketClick = (startMs: number, seriesName: string) => void;

/** Every chart spans the whole range, so their time axes line up. */
function bounds(d: Timeseries): { min?: number; max?: number } {
  return d.buckets.length ? { min: d.buckets[0], max: d.buckets[d.buckets.length - 1] + d.step_ms } : {};
}

function points(ts: Timeseries, values: (number | null)[], scale = 1): [number, number | null][] {
  return ts.buckets.map((b, i) => [b, values[i] === null ? null : (values[i] as number) / scale]);
}

function clickable(step: number, onBucket: BucketClick): ChartOptions['plotOptions'] {
  return {
    series: {
      cursor: 'pointer',
      point: {
        events: {
          click(this: { x: number; series: { name: string } }) {
            onBucket(this.x, this.series.name);
          },
        },
      },
    },
    column: { pointRange: step, groupPadding: 0.05, pointPadding: 0.05, borderWidth: 0 },
  };
}

/** A chart over the time buckets of d (null while d loads): its type, what a click on a bucket
 * opens, and what build adds (series, axes; its plotOptions go over the clickable ones). */
function timeChart(
  d: Timeseries | undefined,
  type: 'column' | 'line',
  onBucket: BucketClick,
  build: (d: Timeseries) => ChartOptions,
): ChartOptions | null {
  if (!d) return null;
  const { plotOptions, ...rest } = build(d);
  return { xAxis: bounds(d), chart: { type }, ...rest, plotOptions: { ...clickable(d.step_ms, onBucket), ...plotOptions } };
}

export default function DashboardPage() {
  const { resolved } = useTimeRange();
  const r = { start: resolved.startMs, end: resolved.endMs };
  // ?service= narrows the KPIs, traffic, latency and logs to one service.
  const [params, setParams] = useSearchParams();
  const service = params.get('service') ?? undefined;
  const serviceList = useServices(r);
  const summary = useSummary({ ...r, service });
  const ts = useTimeseries({ ...r, service });
  const perService = useTimeseries(r, 'service');
  const failing = useTopFailing(r);
  const navigate = useNavigate();
  const linkTo = useLinkTo();

  const step = ts.data?.step_ms ?? 60_000;
  /** Opens the traces or logs of one bucket of the charts. */
  const openBucket = (path: '/traces' | '/logs', startMs: number, extra: Record<string, string | undefined> = {}) => {
    const w = absoluteRange(startMs, startMs + step);
    navigate(linkTo(path, { from: w.from, to: w.to, service, ...extra }));
  };
  const openTraces = (startMs: number, extra: Record<string, string | undefined> = {}) => openBucket('/traces', startMs, extra);

  const traffic = useMemo(
    () =>
      timeChart(ts.data, 'column', (x, name) => openTraces(x, name === 'Errors' ? { error: 'true' } : {}), (d) => ({
        series: [
          { type: 'column', name: 'Requests', data: points(d, d.series[0]?.requests ?? []), color: '#1677ff' },
          { type: 'column', name: 'Errors', data: points(d, d.series[0]?.errors ?? []), color: '#f5222d' },
        ],
      })),
    [ts.data, service], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const latency = useMemo(
    () =>
      timeChart(ts.data, 'line', (x) => openTraces(x, { sort: 'duration' }), (d) => ({
        yAxis: { labels: { format: '{value} ms' } },
        tooltip: { valueSuffix: ' ms', valueDecimals: 1 },
        series: [
          { type: 'line', name: 'p50', data: points(d, d.series[0]?.p50_ns ?? [], 1e6), color: '#52c41a' },
          { type: 'line', name: 'p95', data: points(d, d.series[0]?.p95_ns ?? [], 1e6), color: '#faad14' },
          { type: 'line', name: 'p99', data: points(d, d.series[0]?.p99_ns ?? [], 1e6), color: '#f5222d' },
        ],
      })),
    [ts.data, service], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const services = useMemo(
    () =>
      timeChart(perService.data, 'line', (x, name) => openTraces(x, { service: name }), (d) => ({
        series: d.series.map((s) => ({ type: 'line' as const, name: s.service ?? 'all', data: points(d, s.requests) })),
      })),
    [perService.data], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const logs = useMemo(
    () =>
      timeChart(ts.data, 'column', (x, name) => openBucket('/logs', x, { severity: name }), (d) => ({
        plotOptions: {
          column: { stacking: 'normal', pointRange: d.step_ms, groupPadding: 0.05, pointPadding: 0.02, borderWidth: 0 },
        },
        series: SEVERITIES.filter((s) => d.logs[s]?.some((v) => v > 0)).map((s) => ({ type: 'column' as const, name: s, color: SEVERITY_COLORS[s], data: points(d, d.logs[s]) })),
      })),
    [ts.data, service], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const empty = summary.data && summary.data.current.requests === 0 && SEVERITIES.every((s) => summary.data!.current.logs[s] === 0);

  return (
    <div className="grid" data-testid="dashboard">
      <div className="dash-filter">
        <Select
          allowClear
          showSearch
          placeholder="All services"
          aria-label="service"
          data-testid="dashboard-service"
          style={{ width: 220 }}
          value={service}
          onChange={(v?: string) =>
            setParams((p) => {
              const n = new URLSearchParams(p);
              if (v) n.set('service', v);
              else n.delete('service');
              return n;
            })
          }
          options={serviceList.data?.services.map((s) => ({ value: s.service, label: s.service }))}
        />
        {service && <span className="muted">KPIs, traffic, latency and logs of {service}; the per-service chart and top failing cover every service</span>}
      </div>
      {summary.error && <ErrorNotice error={summary.error} />}
      {empty && (
        <div className="panel">
          <EmptyHint title="No traces or logs in this time range" />
        </div>
      )}
      <div className="grid grid-kpi">
        {summary.data
          ? KPIS.map((k) => <KpiCard key={k.label} kpi={k} current={summary.data.current} previous={summary.data.previous} />)
          : summary.error
            ? null
            : KPIS.map((k) => (
              <div className="panel" key={k.label}>
                <PanelSkeleton rows={1} />
              </div>
            ))}
      </div>
      <div className="grid grid-2">
        <Panel title="Traffic and errors" hint="click a bar for its traces" error={ts.error} chart={traffic} testId="chart-traffic" />
        <Panel title="Latency" hint="click a point for the slowest traces" error={ts.error} chart={latency} testId="chart-latency" />
        <Panel title="Requests per service" hint="click for that service's traces" error={perService.error} chart={services} testId="chart-services" />
        <Panel title="Logs by severity" hint="click a bar for its logs" error={ts.error} chart={logs} testId="chart-logs" />
      </div>
      <div className="panel" data-testid="top-failing">
        <div className="panel-title">Top failing services</div>
        {failing.error ? <ErrorNotice error={failing.error} /> : !failing.data ? <PanelSkeleton /> : failing.data.services.length === 0 ? <EmptyHint title="No errors in this time range">No span ended with status ERROR.</EmptyHint> : <FailingTable rows={failing.data.services} linkTo={linkTo} />}
      </div>
    </div>
  );
}

function Panel({ title, hint, error, chart, testId }: { title: string; hint: string; error: unknown; chart: ChartOptions | null; testId: string }) {
  return (
    <div className="panel">
      <div className="panel-title">
        <span>{title}</span>
        <span className="muted" style={{ fontWeight: 'normal', fontSize: 12 }}>
          {hint}
        </span>
      </div>
      {error ? <ErrorNotice error={error} /> : chart ? <Chart options={chart} height={220} testId={testId} /> : <PanelSkeleton rows={5} />}
    </div>
  );
}

// A plain table (not antd's Table): the dashboard is the first page, and its bundle stays small.
function FailingTable({ rows, linkTo }: { rows: FailingService[]; linkTo: ReturnType<typeof useLinkTo> }) {
  return (
    <div style={{ overflowX: 'auto' }}>
      <table className="plain-table">
        <thead>
          <tr>
            <th>Service</th>
            <th className="num">Errors</th>
            <th className="num">Requests</th>
            <th className="num">Error rate</th>
            <th>Worst operations</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.service}>
              <td>
                <Link to={linkTo('/traces', { service: s.service, error: 'true' })} data-testid="failing-service">
                  {s.service}
                </Link>
              </td>
              <td className="num">{formatCount(s.errors)}</td>
              <td className="num">{formatCount(s.requests)}</td>
              <td className="num">
                <Tag color={s.error_rate > 0.05 ? 'red' : 'orange'}>{formatPercent(s.error_rate)}</Tag>
              </td>
              <td>
                <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4 }}>
                  {s.operations.map((o) => (
                    <Link key={o.name} to={linkTo('/traces', { service: s.service, operation: o.name, error: 'true' })}>
                      <Tag>
                        {o.name} · {o.errors}/{o.requests}
                      </Tag>
                    </Link>
                  ))}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
