// The one typed client of the Argus REST API (docs/api.md). Every request goes through `get`,
// which turns an error answer into an ApiError carrying the API's code and message.
//   const { services } = await api.services({ start, end });

export type Severity = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'UNSPECIFIED';
export const SEVERITIES: Severity[] = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNSPECIFIED'];
export type SeverityCounts = Record<Severity, number>;
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Attributes = Record<string, JsonValue>;

export interface Service {
  service: string;
  requests: number;
  errors: number;
  error_rate: number;
  p95_ns: number | null;
  logs: number;
  spans?: number;
}
export interface Operation {
  name: string;
  spans: number;
  errors: number;
}
export interface PeriodSummary {
  requests: number;
  errors: number;
  error_rate: number;
  p50_ns: number | null;
  p95_ns: number | null;
  p99_ns: number | null;
  logs: SeverityCounts;
}
export interface Summary {
  current: PeriodSummary;
  previous: PeriodSummary;
}
export interface Series {
  service: string | null;
  requests: number[];
  errors: number[];
  p50_ns: (number | null)[];
  p95_ns: (number | null)[];
  p99_ns: (number | null)[];
}
export interface Timeseries {
  step_ms: number;
  buckets: number[];
  series: Series[];
  logs: Record<Severity, number[]>;
}
export interface FailingOperation {
  name: string;
  requests: number;
  errors: number;
  error_rate: number;
}
export interface FailingService extends FailingOperation {
  service: string;
  operations: FailingOperation[];
}
export interface Insight {
  category: string;
  tags?: string[];
  summary?: string;
  suggestion?: string;
  confidence?: number;
}
export interface LogRecord {
  id: number;
  time_unix_nano: string;
  observed_time_unix_nano: string;
  severity_number: number;
  severity_text: string | null;
  service: string;
  body: JsonValue;
  attributes: Attributes;
  resource: Attributes;
  trace_id: string | null;
  span_id: string | null;
  scope: { name: string | null; version: string | null };
  insight: Insight | null;
  pattern_id: string | null;
}
export interface LogPage {
  logs: LogRecord[];
  next_cursor: string | null;
}
export interface Histogram {
  step_ms: number;
  buckets: { start_ms: number; total: number; counts: SeverityCounts }[];
}
export interface LogContext {
  before: LogRecord[];
  log: LogRecord;
  after: LogRecord[];
}
export interface Pattern {
  pattern_id: string;
  template: string;
  count: number;
  first_ns: string;
  last_ns: string;
  example: string;
  insight: string | null;
  services?: string[];
}
export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_name: string;
  start_ns: string;
  duration_ns: number;
  span_count: number;
  error_count: number;
  services: string[];
}
export interface TracePage {
  traces: TraceSummary[];
  total: number; // at most 10000: total_capped says there are more
  total_capped: boolean;
  next_cursor: string | null;
}
export interface SpanEvent {
  time_unix_nano: string;
  name: string;
  attributes: Attributes;
}
export interface SpanLink {
  trace_id: string;
  span_id: string;
  attributes: Attributes;
}
export interface Span {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  service: string;
  kind: string;
  depth: number;
  offset_ns: number;
  start_ns?: string;
  duration_ns: number;
  self_ns: number;
  critical: boolean;
  orphan: boolean;
  status_code: string;
  status_message: string | null;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  resource: Attributes;
  scope: { name: string | null; version: string | null };
}
export interface Trace {
  trace_id: string;
  start_ns: string;
  duration_ns: number;
  services: string[];
  log_count: number;
  spans: Span[];
}
export interface IngestSignal {
  requests: number;
  bad_requests: number;
  received: number;
  stored: number;
  rejected: number;
  dropped: number;
  refused: number;
  per_second: number;
}
export interface SystemInfo {
  version: string;
  uptime_s: number;
  started_ns: string;
  backend: string;
  /** SQLite: the file and its WAL; MariaDB/MySQL: the database's name and its tables' sizes */
  database: { path?: string; name?: string; size_bytes: number; wal_bytes?: number; tables?: Record<string, number> };
  rows: Record<string, number>;
  oldest_ns: string | null;
  newest_ns: string | null;
  ingest: {
    traces: IngestSignal;
    logs: IngestSignal;
    queue: { requests: number; items: number; bytes: number };
    batches: number;
    failed_batches: number;
    last_commit_ns: string | null;
  };
  insights: { last_id: number; lag: number; batches: number; errors: number };
  retention: { max_age_s: number | null };
  config: Record<string, string>;
}
export interface PurgeResult {
  cutoff_ns?: string;
  deleted: Record<string, number>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | boolean | undefined | null | (string | number)[]>;

/** Query string from params: undefined/null/'' dropped, arrays repeated. */
export function queryString(params: Params): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function request<T>(method: string, path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path + queryString(params), { method, signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', `argus-server did not answer (${(e as Error).message})`);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `${method} ${path} answered ${res.status} ${text.slice(0, 200)}`);
  }
  if (body === null) throw new ApiError(res.status, 'bad_answer', `${method} ${path} did not answer JSON`);
  return body as T;
}

export interface RangeParams {
  start: number;
  end: number;
}
export interface LogFilters extends RangeParams {
  service?: string[];
  severity?: string;
  q?: string;
  trace_id?: string;
  span_id?: string;
}
export interface TraceFilters extends RangeParams {
  service?: string;
  operation?: string;
  min_duration?: string;
  max_duration?: string;
  error?: boolean;
  attr?: string[];
  sort?: 'start' | 'duration' | 'spans';
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

function traceParams(f: TraceFilters): Params {
  const { attr, error, ...rest } = f;
  const p: Params = { ...rest, error: error ? 'true' : undefined };
  for (const a of attr ?? []) {
    const eq = a.indexOf('=');
    if (eq > 0) p[`attr.${a.slice(0, eq).trim()}`] = a.slice(eq + 1).trim();
  }
  return p;
}

const get = <T>(path: string, params?: Params, signal?: AbortSignal) => request<T>('GET', path, params, signal);

export const api = {
  services: (r: RangeParams, signal?: AbortSignal) => get<{ services: Service[] }>('/api/services', { ...r }, signal),
  operations: (service: string, r: RangeParams, signal?: AbortSignal) => get<{ operations: Operation[] }>(`/api/services/${encodeURIComponent(service)}/operations`, { ...r }, signal),
  summary: (r: RangeParams & { service?: string }, signal?: AbortSignal) => get<Summary>('/api/dashboard/summary', { ...r }, signal),
  timeseries: (r: RangeParams & { service?: string; group_by?: 'service'; step?: string }, signal?: AbortSignal) => get<Timeseries>('/api/dashboard/timeseries', { ...r }, signal),
  topFailing: (r: RangeParams & { limit?: number }, signal?: AbortSignal) => get<{ services: FailingService[] }>('/api/dashboard/top-failing', { ...r }, signal),
  logs: (f: LogFilters & { limit?: number; cursor?: string }, signal?: AbortSignal) => get<LogPage>('/api/logs', { ...f }, signal),
  histogram: (f: LogFilters, signal?: AbortSignal) => get<Histogram>('/api/logs/histogram', { ...f }, signal),
  logContext: (id: number, p: { before: number; after: number; by: 'service' | 'trace' }, signal?: AbortSignal) => get<LogContext>(`/api/logs/${id}/context`, { ...p }, signal),
  patterns: (r: RangeParams & { service?: string; limit?: number }, signal?: AbortSignal) => get<{ patterns: Pattern[] }>('/api/logs/patterns', { ...r }, signal),
  traces: (f: TraceFilters, signal?: AbortSignal) => get<TracePage>('/api/traces', traceParams(f), signal),
  trace: (id: string, signal?: AbortSignal) => get<Trace>(`/api/traces/${encodeURIComponent(id)}`, {}, signal),
  system: (signal?: AbortSignal) => get<SystemInfo>('/api/system', {}, signal),
  purge: (olderThan: string) => request<PurgeResult>('POST', '/api/data/purge', { older_than: olderThan }),
  deleteAll: () => request<PurgeResult>('DELETE', '/api/data', { confirm: 'delete-all-data' }),
  /** The live tail's URL (EventSource): the filters of /api/logs without the range. */
  streamUrl: (f: Omit<LogFilters, 'start' | 'end'>) => `/api/logs/stream${queryString({ ...f })}`,
};
