// The log table: TanStack Table column definitions rendered through TanStack Virtual (only the
// visible rows exist in the DOM; expanded rows are measured). Used by the explorer (infinite
// cursor paging) and the live tail.
import { AimOutlined, BranchesOutlined, CopyOutlined } from '@ant-design/icons';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Button, Space, Tag, Tooltip } from 'antd';
import { useEffect, useMemo, useRef, type ReactNode, type RefObject } from 'react';
import { Link } from 'react-router';
import type { LogRecord } from '../../api/client';
import { SEVERITY_COLORS } from '../../components/Chart';
import { copyText, JsonTree } from '../../components/JsonTree';
import { filterKey } from '../../lib/query';
import { formatTime, nsToMs, type Zone } from '../../lib/time';
import { useLinkTo } from '../../state/ui';

export function severityGroup(n: number): string {
  if (n <= 0) return 'UNSPECIFIED';
  return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][Math.min(5, Math.floor((n - 1) / 4))];
}

export function bodyText(b: LogRecord['body']): string {
  return typeof b === 'string' ? b : JSON.stringify(b);
}

export interface LogTableProps {
  logs: LogRecord[];
  zone: Zone;
  expanded: Set<number>;
  onToggle: (id: number) => void;
  onFilter: (key: string, value: string, exclude: boolean) => void;
  onContext: (log: LogRecord) => void;
  onEndReached?: () => void;
  footer?: ReactNode;
  scrollRef?: RefObject<HTMLDivElement | null>;
  onScroll?: (top: number) => void;
  highlight?: Set<number>;
  testId?: string;
}

export function LogTable(p: LogTableProps) {
  const columns = useMemo<ColumnDef<LogRecord>[]>(
    () => [
      { id: 'time', header: 'Time', cell: ({ row }) => <span className="mono">{formatTime(nsToMs(row.original.time_unix_nano), p.zone, 'millisecond')}</span> },
      {
        id: 'severity',
        header: 'Level',
        cell: ({ row }) => {
          const g = severityGroup(row.original.severity_number);
          return (
            <span className="sev" style={{ borderColor: SEVERITY_COLORS[g], color: SEVERITY_COLORS[g] }} title={`${row.original.severity_text ?? ''} (${row.original.severity_number})`}>
              {g === 'UNSPECIFIED' ? '–' : g}
            </span>
          );
        },
      },
      { id: 'service', header: 'Service', cell: ({ row }) => <span className="log-service">{row.original.service}</span> },
      {
        id: 'body',
        header: 'Message',
        cell: ({ row }) => (
          <span className="log-body-line">
            {row.original.insight && (
              <Tooltip title={row.original.insight.summary ?? row.original.insight.category}>
                <Tag color="purple" className="insight-badge" data-testid="insight-badge">
                  {row.original.insight.category}
                </Tag>
              </Tooltip>
            )}
            {bodyText(row.original.body)}
          </span>
        ),
      },
    ],
    [p.zone],
  );
  const table = useReactTable({ data: p.logs, columns, getCoreRowModel: getCoreRowModel(), getRowId: (r) => String(r.id) });
  const rows = table.getRowModel().rows;
  const ownRef = useRef<HTMLDivElement>(null);
  const scrollRef = p.scrollRef ?? ownRef;
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 30, overscan: 15, getItemKey: (i) => rows[i].id });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= rows.length - 20) p.onEndReached?.();
  }, [last?.index, rows.length]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className="log-table" data-testid={p.testId ?? 'log-table'}>
      <div className="log-row log-header">
        {table.getFlatHeaders().map((h) => (
          <div key={h.id} className={`log-cell log-${h.id}`}>
            {flexRender(h.column.columnDef.header, h.getContext())}
          </div>
        ))}
      </div>
      <div ref={scrollRef} className="log-scroll" onScroll={(e) => p.onScroll?.(e.currentTarget.scrollTop)}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const row = rows[v.index];
            const log = row.original;
            const open = p.expanded.has(log.id);
            return (
              <div key={row.id} data-index={v.index} ref={virtualizer.measureElement} className={`log-item${open ? ' log-open' : ''}${p.highlight?.has(log.id) ? ' log-highlight' : ''}`} style={{ transform: `translateY(${v.start}px)` }} data-testid="log-row" data-log-id={log.id}>
                <div className="log-row" onClick={() => p.onToggle(log.id)}>
                  {row.getVisibleCells().map((c) => (
                    <div key={c.id} className={`log-cell log-${c.column.id}`}>
                      {flexRender(c.column.columnDef.cell, c.getContext())}
                    </div>
                  ))}
                </div>
                {open && <LogDetails log={log} onFilter={p.onFilter} onContext={p.onContext} />}
              </div>
            );
          })}
        </div>
        {p.footer}
      </div>
    </div>
  );
}

export function LogDetails({ log, onFilter, onContext }: { log: LogRecord; onFilter: LogTableProps['onFilter']; onContext: (l: LogRecord) => void }) {
  const linkTo = useLinkTo();
  const t = nsToMs(log.time_unix_nano);
  return (
    <div className="log-details" data-testid="log-details">
      <Space wrap style={{ marginBottom: 8 }}>
        <Button size="small" icon={<BranchesOutlined />} onClick={() => onContext(log)} data-testid="log-context-button">
          Context
        </Button>
        {log.trace_id && (
          <Link to={linkTo(`/traces/${log.trace_id}`, { span: log.span_id ?? undefined })} data-testid="log-trace-link">
            <Button size="small" icon={<AimOutlined />}>
              Trace{log.span_id ? ' and span' : ''}
            </Button>
          </Link>
        )}
        <Button size="small" icon={<CopyOutlined />} onClick={() => copyText(JSON.stringify(log, null, 2))}>
          Copy JSON
        </Button>
        <span className="muted mono">
          id {log.id} · {new Date(t).toISOString()}
        </span>
      </Space>
      {log.insight && (
        <div className="insight-box">
          <Tag color="purple">{log.insight.category}</Tag>
          {log.insight.summary} {log.insight.suggestion && <span className="muted">— {log.insight.suggestion}</span>}
        </div>
      )}
      <div className="log-details-grid">
        <div>
          <div className="muted">Body</div>
          {typeof log.body === 'string' ? <pre className="log-body-pre">{log.body}</pre> : <JsonTree value={log.body} actions={{ filterKey: () => null, onFilter }} />}
        </div>
        <div>
          <div className="muted">Attributes</div>
          <JsonTree value={log.attributes} actions={{ filterKey: (path) => (path.length === 1 ? filterKey('attributes', path[0]) : null), onFilter }} />
          <div className="muted" style={{ marginTop: 8 }}>
            Resource
          </div>
          <JsonTree value={log.resource} actions={{ filterKey: (path) => (path.length === 1 ? filterKey('resource', path[0]) : null), onFilter }} />
          <div className="muted" style={{ marginTop: 8 }}>
            Record
          </div>
          <JsonTree
            value={{ service: log.service, severity_text: log.severity_text, trace_id: log.trace_id, span_id: log.span_id, pattern_id: log.pattern_id, scope: `${log.scope.name ?? ''} ${log.scope.version ?? ''}`.trim() }}
            actions={{ filterKey: (path) => (path.length === 1 ? filterKey('log', path[0]) : null), onFilter }}
          />
        </div>
      </div>
    </div>
  );
}
