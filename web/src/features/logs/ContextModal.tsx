// Context around one log line: the lines before and after it from the same service or the same
// trace, with "more before/after" on click.
import { Button, Modal, Segmented, Space } from 'antd';
import { useState } from 'react';
import type { LogRecord } from '../../api/client';
import { useLogContext } from '../../api/hooks';
import { ErrorNotice, PanelSkeleton } from '../../components/States';
import { formatTime, nsToMs } from '../../lib/time';
import { usePrefs } from '../../state/ui';
import { bodyText, severityGroup } from './LogTable';
import { SEVERITY_COLORS } from '../../components/Chart';

export function ContextModal({ log, onClose }: { log: LogRecord | null; onClose: () => void }) {
  const [before, setBefore] = useState(10);
  const [after, setAfter] = useState(10);
  const [by, setBy] = useState<'service' | 'trace'>('service');
  const [forId, setForId] = useState<number | null>(null);
  if (log && log.id !== forId) {
    setForId(log.id);
    setBefore(10);
    setAfter(10);
    setBy('service');
  }
  const ctx = useLogContext(log?.id ?? null, before, after, by);
  const { zone } = usePrefs();
  const line = (l: LogRecord, self = false) => {
    const g = severityGroup(l.severity_number);
    return (
      <div key={l.id} className={`ctx-line mono${self ? ' ctx-self' : ''}`} data-testid={self ? 'context-self' : 'context-line'}>
        <span className="muted">{formatTime(nsToMs(l.time_unix_nano), zone, 'millisecond')}</span> <span style={{ color: SEVERITY_COLORS[g] }}>{l.severity_text || g}</span> <span className="muted">{l.service}</span> {bodyText(l.body)}
      </div>
    );
  };
  return (
    <Modal open={!!log} onCancel={onClose} footer={null} width={900} title="Context" destroyOnHidden>
      <Space wrap style={{ marginBottom: 8 }}>
        <Segmented value={by} onChange={(v) => setBy(v as 'service' | 'trace')} options={[{ value: 'service', label: 'Same service' }, { value: 'trace', label: 'Same trace', disabled: !log?.trace_id }]} />
      </Space>
      {ctx.error ? (
        <ErrorNotice error={ctx.error} />
      ) : !ctx.data ? (
        <PanelSkeleton rows={8} />
      ) : (
        <div className="ctx-lines" data-testid="context">
          <Button size="small" onClick={() => setBefore(Math.min(200, before + 20))} disabled={ctx.data.before.length < before || before >= 200} data-testid="context-more-before">
            More before
          </Button>
          {ctx.data.before.map((l) => line(l))}
          {line(ctx.data.log, true)}
          {ctx.data.after.map((l) => line(l))}
          <Button size="small" onClick={() => setAfter(Math.min(200, after + 20))} disabled={ctx.data.after.length < after || after >= 200} data-testid="context-more-after">
            More after
          </Button>
        </div>
      )}
    </Modal>
  );
}
