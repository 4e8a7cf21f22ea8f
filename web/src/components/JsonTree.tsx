// A collapsible JSON tree for log bodies and attributes. Each leaf can be copied, added to the
// query as key:value, or excluded (-key:value), when the caller gives a filter key for it.
import { CopyOutlined, MinusCircleOutlined, PlusCircleOutlined } from '@ant-design/icons';
import { Button, Tooltip, message } from 'antd';
import { useState } from 'react';
import type { JsonValue } from '../api/client';

export interface LeafAction {
  /** the filter key for this path, e.g. "attr.http.route"; null when it cannot be filtered */
  filterKey: (path: string[]) => string | null;
  onFilter: (key: string, value: string, exclude: boolean) => void;
}

function leafText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export async function copyText(text: string) {
  try {
    await navigator.clipboard.writeText(text);
    message.success('Copied');
  } catch {
    message.error('The browser refused clipboard access');
  }
}

function Leaf({ name, value, path, actions }: { name: string; value: JsonValue; path: string[]; actions?: LeafAction }) {
  const key = actions?.filterKey(path) ?? null;
  const text = leafText(value);
  return (
    <div className="json-leaf">
      <span className="json-key">{name}</span>
      <span className={`json-value json-${value === null ? 'null' : typeof value}`}>{typeof value === 'string' ? text : String(text)}</span>
      <span className="json-actions">
        <Tooltip title="Copy value">
          <Button size="small" type="text" icon={<CopyOutlined />} onClick={() => copyText(text)} aria-label="copy value" />
        </Tooltip>
        {key && actions && (
          <>
            <Tooltip title={`Add ${key}:… to the query`}>
              <Button size="small" type="text" icon={<PlusCircleOutlined />} onClick={() => actions.onFilter(key, text, false)} aria-label="filter by value" />
            </Tooltip>
            <Tooltip title={`Exclude ${key}:…`}>
              <Button size="small" type="text" icon={<MinusCircleOutlined />} onClick={() => actions.onFilter(key, text, true)} aria-label="exclude value" />
            </Tooltip>
          </>
        )}
      </span>
    </div>
  );
}

function Node({ name, value, path, actions, depth }: { name: string; value: JsonValue; path: string[]; actions?: LeafAction; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  if (value === null || typeof value !== 'object') return <Leaf name={name} value={value} path={path} actions={actions} />;
  const entries: [string, JsonValue][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  return (
    <div className="json-node">
      <button type="button" className="json-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'} <span className="json-key">{name}</span>
        <span className="json-meta">{Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}</span>
      </button>
      {open && (
        <div className="json-children">
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} path={[...path, k]} actions={actions} depth={depth + 1} />
          ))}
        </div>
      )}
    </div>
  );
}

export function JsonTree({ value, actions, rootName }: { value: JsonValue; actions?: LeafAction; rootName?: string }) {
  if (value !== null && typeof value === 'object' && !rootName) {
    const entries: [string, JsonValue][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    if (entries.length === 0) return <span className="json-meta">none</span>;
    return (
      <div className="json-tree">
        {entries.map(([k, v]) => (
          <Node key={k} name={k} value={v} path={[k]} actions={actions} depth={0} />
        ))}
      </div>
    );
  }
  return (
    <div className="json-tree">
      <Node name={rootName ?? 'value'} value={value} path={[]} actions={actions} depth={0} />
    </div>
  );
}
