// The header's global time picker: presets, typed relative text ("now-2h") and absolute dates in
// the chosen zone. The choice goes to the URL (`from`/`to`), so Back and reload keep it.
import { ClockCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Input, Popover, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { formatFull, isRelative, parseTimeExpr, PRESETS, rangeLabel, type Zone } from '../lib/time';
import { REFRESH_OPTIONS, useClock, usePrefs, useTimeRange } from '../state/ui';

/** Text typed in the picker to a URL value: relative stays relative, dates become unix ms. */
export function pickerValue(text: string, zone: Zone, nowMs: number): string {
  const s = text.trim();
  if (isRelative(s)) return s.replace(/\s+/g, '');
  let iso = s;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)$/.exec(s);
  if (m) iso = `${m[1]}T${m[2]}${zone === 'utc' ? 'Z' : ''}`;
  return String(parseTimeExpr(iso, nowMs));
}

function editable(expr: string, zone: Zone): string {
  if (isRelative(expr)) return expr;
  return formatFull(parseTimeExpr(expr, Date.now()), zone).replace(/\.\d{3}/, '').replace(' UTC', '');
}

export function TimePicker() {
  const { range, setRange, refresh, setRefresh } = useTimeRange();
  const { refreshNow } = useClock();
  const { zone } = usePrefs();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);

  const onOpen = (o: boolean) => {
    setOpen(o);
    if (o) {
      setFrom(editable(range.from, zone));
      setTo(editable(range.to, zone));
      setError(null);
    }
  };
  const apply = () => {
    try {
      const now = Date.now();
      const f = pickerValue(from, zone, now);
      const t = pickerValue(to, zone, now);
      if (parseTimeExpr(f, now) >= parseTimeExpr(t, now)) throw new Error('"From" must be before "To"');
      setRange({ from: f, to: t });
      setOpen(false);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const content = (
    <div className="time-picker" data-testid="time-picker-panel">
      <div className="time-presets">
        {PRESETS.map((p) => (
          <Button
            key={p.from}
            size="small"
            type={range.from === p.from && range.to === 'now' ? 'primary' : 'default'}
            onClick={() => {
              setRange({ from: p.from, to: 'now' });
              setOpen(false);
            }}
          >
            {p.label.replace('Last ', '')}
          </Button>
        ))}
      </div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        Relative (now-2h) or absolute ({zone === 'utc' ? 'UTC' : 'local time'}: 2026-12-07 14:00)
      </Typography.Text>
      <Space.Compact style={{ width: '100%', marginTop: 4 }}>
        <Input aria-label="from" value={from} onChange={(e) => setFrom(e.target.value)} onPressEnter={apply} placeholder="now-1h" />
        <Input aria-label="to" value={to} onChange={(e) => setTo(e.target.value)} onPressEnter={apply} placeholder="now" />
      </Space.Compact>
      {error && (
        <Typography.Text type="danger" style={{ display: 'block', fontSize: 12 }}>
          {error}
        </Typography.Text>
      )}
      <Button type="primary" size="small" onClick={apply} style={{ marginTop: 8 }} block>
        Apply
      </Button>
    </div>
  );
  return (
    <Space.Compact>
      <Popover content={content} trigger="click" open={open} onOpenChange={onOpen} placement="bottomRight">
        <Button icon={<ClockCircleOutlined />} data-testid="time-picker">
          <span className="range-label">{rangeLabel(range, zone)}</span>
        </Button>
      </Popover>
      <Button icon={<ReloadOutlined />} onClick={refreshNow} aria-label="refresh now" />
      <Select
        aria-label="auto-refresh"
        data-testid="auto-refresh"
        value={refresh}
        onChange={setRefresh}
        options={REFRESH_OPTIONS.map((o) => ({ value: o.value, label: o.value === 'off' ? 'Auto: off' : `Every ${o.label}` }))}
        popupMatchSelectWidth={false}
        style={{ width: 108 }}
      />
    </Space.Compact>
  );
}
