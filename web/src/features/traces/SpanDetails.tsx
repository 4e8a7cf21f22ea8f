// The details panel of one span: timing, status, attributes, resource, events, links (open the
// linked trace) and the span's logs.
import { Descriptions, Drawer, Empty, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import type { LogRecord, Span, Trace } from '../../api/client';
import { JsonTree } from '../../components/JsonTree';
import { formatDuration } from '../../lib/format';
import { formatTime, nsToMs } from '../../lib/time';
import { useLinkTo, usePrefs } from '../../state/ui';

function useDrawerWidth(): number | string {
  return typeof window !== 'undefined' && window.innerWidth < 640 ? '100%' : 560;
}

export function SpanDetails({ span, trace, logs, onClose }: { span: Span | null; trace: Trace; logs: LogRecord[]; onClose: () => void }) {
  const { zone } = usePrefs();
  const linkTo = useLinkTo();
  const width = useDrawerWidth();
  const startMs = nsToMs(trace.start_ns) + (span?.offset_ns ?? 0) / 1e6;
  return (
    <Drawer open={!!span} onClose={onClose} size={width as number} title={span ? `${span.service} · ${span.name}` : ''} destroyOnHidden data-testid="span-details">
      {span && (
        <div className="grid" data-testid="span-details-body">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label="Start">{formatTime(startMs, zone, 'millisecond')} (+{formatDuration(span.offset_ns)})</Descriptions.Item>
            <Descriptions.Item label="Duration">
              {formatDuration(span.duration_ns)} (self {formatDuration(span.self_ns)}){span.critical && <Tag color="orange" style={{ marginLeft: 8 }}>critical path</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label="Kind">{span.kind}</Descriptions.Item>
            <Descriptions.Item label="Status">
              {span.status_code === 'ERROR' ? <Tag color="red">ERROR</Tag> : span.status_code}
              {span.status_message && <span> {span.status_message}</span>}
            </Descriptions.Item>
            <Descriptions.Item label="Span id">
              <span className="mono">{span.span_id}</span>
              {span.orphan && <Tag style={{ marginLeft: 8 }}>parent missing</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label="Scope">
              {span.scope.name ?? '–'} {span.scope.version ?? ''}
            </Descriptions.Item>
          </Descriptions>
          <Section title="Attributes">
            <JsonTree value={span.attributes} />
          </Section>
          <Section title={`Events (${span.events.length})`}>
            {span.events.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              span.events.map((e, k) => (
                <div key={k} style={{ marginBottom: 6 }}>
                  <span className="mono">+{formatDuration((nsToMs(e.time_unix_nano) - nsToMs(trace.start_ns)) * 1e6)}</span> <b>{e.name}</b>
                  {Object.keys(e.attributes).length > 0 && <JsonTree value={e.attributes} />}
                </div>
              ))
            )}
          </Section>
          <Section title={`Links (${span.links.length})`}>
            {span.links.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              span.links.map((l, k) => (
                <div key={k}>
                  <Link to={linkTo(`/traces/${l.trace_id}`)} className="mono">
                    {l.trace_id} / {l.span_id}
                  </Link>
                </div>
              ))
            )}
          </Section>
          <Section title={`Logs of this span (${logs.length})`}>
            {logs.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No logs carry this span id" />
            ) : (
              logs.map((l) => (
                <div key={l.id} className="mono" style={{ marginBottom: 4 }}>
                  <span className="muted">{formatTime(nsToMs(l.time_unix_nano), zone, 'millisecond')}</span> <Tag>{l.severity_text ?? l.severity_number}</Tag>
                  {typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}
                </div>
              ))
            )}
            <Link to={linkTo('/logs', { q: `span_id:${span.span_id}`, from: String(Math.floor(nsToMs(trace.start_ns)) - 60_000), to: String(Math.ceil(nsToMs(trace.start_ns) + trace.duration_ns / 1e6) + 60_000) })}>Open in the Log Explorer →</Link>
          </Section>
          <Section title="Resource">
            <JsonTree value={span.resource} />
          </Section>
        </div>
      )}
    </Drawer>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {title}
      </Typography.Title>
      {children}
    </div>
  );
}
