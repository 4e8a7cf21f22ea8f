// Loading, empty and error states used by every panel.
import { Alert, Empty, Skeleton, Typography } from 'antd';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const e = error as Error | null;
  const code = e instanceof ApiError ? ` (${e.code})` : '';
  return <Alert type="error" showIcon title={title ?? 'The request failed'} description={`${e?.message ?? String(error)}${code}`} style={{ margin: '8px 0' }} data-testid="api-error" />;
}

/** An empty state that says what to do next. */
export function EmptyHint({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={
        <div data-testid="empty-state">
          <Typography.Text strong>{title}</Typography.Text>
          <div style={{ marginTop: 4 }}>{children ?? <SendHint />}</div>
        </div>
      }
    />
  );
}

export function SendHint() {
  return (
    <Typography.Text type="secondary">
      Send OTLP to <Typography.Text code>127.0.0.1:4317</Typography.Text> (gRPC) or <Typography.Text code>http://127.0.0.1:4318</Typography.Text>, or widen the time range.
    </Typography.Text>
  );
}

export function PanelSkeleton({ rows = 4 }: { rows?: number }) {
  return <Skeleton active paragraph={{ rows }} title={false} data-testid="skeleton" />;
}
