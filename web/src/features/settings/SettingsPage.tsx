// Settings: system status from /api/system, configuration (secrets arrive redacted), retention and
// data management (purge older than, delete everything) with confirmation.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Descriptions, Input, Modal, Space, Table, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import type { TableProps } from 'antd';
import { api, type IngestSignal, type PurgeResult } from '../../api/client';
import { useSystem } from '../../api/hooks';
import { ErrorNotice, PanelSkeleton } from '../../components/States';
import { formatBytes, formatCount } from '../../lib/format';
import { formatTime, nsToMs } from '../../lib/time';
import { usePrefs } from '../../state/ui';

function uptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : `${m}m ${Math.floor(s % 60)}s`;
}

// The row counts in the order the data flows (a JSON object's keys come in no fixed order:
// each backend's answer listed them differently); tables the API adds later go last.
const ROW_ORDER = ['spans', 'logs', 'traces', 'resources', 'log_patterns'];
function rowOrder(table: string): number {
  const i = ROW_ORDER.indexOf(table);
  return i < 0 ? ROW_ORDER.length : i;
}

function ingestRow(name: string, s: IngestSignal | undefined) {
  return { name, ...(s ?? { requests: 0, bad_requests: 0, received: 0, stored: 0, rejected: 0, dropped: 0, refused: 0, per_second: 0 }) };
}

/** A panel with one compact table showing every row (no paging), and what follows it. */
function TablePanel<T extends object>({ heading, children, ...table }: { heading: string; children?: ReactNode } & TableProps<T>) {
  return (
    <div className="panel">
      <div className="panel-title">{heading}</div>
      <Table<T> size="small" pagination={false} scroll={{ x: 'max-content' }} {...table} />
      {children}
    </div>
  );
}

function deletedText(r: PurgeResult): string {
  return Object.entries(r.deleted)
    .map(([k, v]) => `${formatCount(v)} ${k}`)
    .join(', ');
}

export default function SettingsPage() {
  const sys = useSystem(5000);
  const { zone } = usePrefs();
  const qc = useQueryClient();
  const [olderThan, setOlderThan] = useState('7d');
  const [confirmText, setConfirmText] = useState('');
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const purge = useMutation({
    mutationFn: (v: string) => api.purge(v),
    onSuccess: (r) => {
      setResult(`Deleted ${deletedText(r)}.`);
      qc.invalidateQueries();
    },
  });
  const wipe = useMutation({
    mutationFn: () => api.deleteAll(),
    onSuccess: (r) => {
      setResult(`Deleted everything: ${deletedText(r)}.`);
      setDeleteOpen(false);
      setConfirmText('');
      qc.invalidateQueries();
    },
  });

  if (sys.error) return <ErrorNotice error={sys.error} title="System status is unavailable" />;
  const s = sys.data;
  const when = (ns: string | null | undefined) => (ns ? formatTime(nsToMs(ns), zone, 'second') : '–');
  return (
    <div className="grid" data-testid="settings">
      <div className="panel">
        <div className="panel-title">System status</div>
        {!s ? (
          <PanelSkeleton rows={6} />
        ) : (
          <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} bordered>
            <Descriptions.Item label="Version">{s.version}</Descriptions.Item>
            <Descriptions.Item label="Uptime">{uptime(s.uptime_s)}</Descriptions.Item>
            <Descriptions.Item label="Backend">{s.backend}</Descriptions.Item>
            <Descriptions.Item label="Database">
              <span className="mono" data-testid="db-name">{s.database.path ?? s.database.name}</span>
            </Descriptions.Item>
            <Descriptions.Item label="Database size">
              <span data-testid="db-size">{formatBytes(s.database.size_bytes)}</span>
              {s.database.wal_bytes !== undefined && <> (WAL {formatBytes(s.database.wal_bytes)})</>}
            </Descriptions.Item>
            <Descriptions.Item label="Rows">
              <span data-testid="rows">
                {Object.entries(s.rows)
                  .sort(([a], [b]) => rowOrder(a) - rowOrder(b) || (a < b ? -1 : 1))
                  .map(([k, v]) => `${formatCount(v)} ${k}`)
                  .join(' · ')}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label="Oldest / newest">
              {when(s.oldest_ns)} / {when(s.newest_ns)}
            </Descriptions.Item>
            <Descriptions.Item label="Queue">
              {formatCount(s.ingest.queue.requests)} requests, {formatCount(s.ingest.queue.items)} items, {formatBytes(s.ingest.queue.bytes)}
            </Descriptions.Item>
            <Descriptions.Item label="Insight lag">
              {formatCount(s.insights.lag)} logs ({s.insights.errors} errors)
            </Descriptions.Item>
            <Descriptions.Item label="Last commit">{when(s.ingest.last_commit_ns)}</Descriptions.Item>
            <Descriptions.Item label="Batches">
              {formatCount(s.ingest.batches)} ({s.ingest.failed_batches} failed)
            </Descriptions.Item>
            <Descriptions.Item label="Retention">{s.retention.max_age_s ? `${Math.round(s.retention.max_age_s / 86400 * 10) / 10} days (ARGUS_RETENTION)` : 'keep everything (ARGUS_RETENTION unset)'}</Descriptions.Item>
          </Descriptions>
        )}
      </div>
      {s && (
        <TablePanel
          heading="Ingest"
          rowKey="name"
          dataSource={[ingestRow('traces', s.ingest.traces), ingestRow('logs', s.ingest.logs)]}
          columns={[
            { title: 'Signal', dataIndex: 'name' },
            { title: 'Items/s', dataIndex: 'per_second', align: 'right', render: (v: number) => formatCount(v) },
            { title: 'Requests', dataIndex: 'requests', align: 'right', render: formatCount },
            { title: 'Received', dataIndex: 'received', align: 'right', render: formatCount },
            { title: 'Stored', dataIndex: 'stored', align: 'right', render: formatCount },
            { title: 'Rejected', dataIndex: 'rejected', align: 'right', render: formatCount },
            { title: 'Bad requests', dataIndex: 'bad_requests', align: 'right', render: formatCount },
            { title: 'Refused (queue full)', dataIndex: 'refused', align: 'right', render: formatCount },
          ]}
        />
      )}
      {s && (
        <TablePanel
          heading="Configuration"
          rowKey="key"
          dataSource={Object.entries(s.config)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, value]) => ({ key, value }))}
          columns={[
            { title: 'Key', dataIndex: 'key', render: (k: string) => <span className="mono">{k}</span> },
            { title: 'Value', dataIndex: 'value', render: (v: string) => <span className="mono">{String(v)}</span> },
          ]}
        >
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            Set keys as flags, environment variables or in <span className="mono">.env</span>; secrets are shown as ***.
          </Typography.Text>
        </TablePanel>
      )}
      <div className="panel" data-testid="data-management">
        <div className="panel-title">Data management</div>
        {result && <Alert type="success" showIcon title={result} style={{ marginBottom: 8 }} closable onClose={() => setResult(null)} />}
        {purge.error && <ErrorNotice error={purge.error} />}
        {wipe.error && <ErrorNotice error={wipe.error} />}
        <Space wrap>
          <span>Delete data older than</span>
          <Input aria-label="older than" value={olderThan} onChange={(e) => setOlderThan(e.target.value)} style={{ width: 90 }} placeholder="7d" />
          <Button
            loading={purge.isPending}
            onClick={() =>
              Modal.confirm({
                title: `Delete spans, logs and traces older than ${olderThan}?`,
                content: 'This cannot be undone.',
                okText: 'Delete',
                okButtonProps: { danger: true },
                onOk: () => purge.mutateAsync(olderThan),
              })
            }
          >
            Purge
          </Button>
          <Button danger onClick={() => setDeleteOpen(true)}>
            Delete all data…
          </Button>
        </Space>
        <Modal
          open={deleteOpen}
          title="Delete all data"
          okText="Delete everything"
          okButtonProps={{ danger: true, disabled: confirmText !== 'delete all', loading: wipe.isPending }}
          onOk={() => wipe.mutate()}
          onCancel={() => setDeleteOpen(false)}
        >
          <p>Every span, log, trace and pattern is deleted. Type <b>delete all</b> to confirm.</p>
          <Input aria-label="confirm delete" value={confirmText} onChange={(e) => setConfirmText(e.target.value)} />
        </Modal>
      </div>
    </div>
  );
}
