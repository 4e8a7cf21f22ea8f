// Helpers for the Log Explorer's query bar, following the `q` syntax of docs/api.md: terms
// separated by spaces, `key:value` filters, quoted values and phrases, `-` to negate.
//   addTerm('timeout', 'service', 'cart') -> 'timeout service:cart'
//   addTerm('service:cart', 'service', 'cart', true) -> '-service:cart'

export interface Term {
  negated: boolean;
  /** "service", "attr.http.route", ...; null for a word or phrase */
  key: string | null;
  value: string;
  /** the value was quoted */
  quoted: boolean;
  /** the term as written */
  text: string;
}

export const KEY_PREFIXES = ['service', 'severity', 'level', 'trace_id', 'span_id', 'insight', 'pattern'];
const KEY_RE = /^(service|severity|level|trace_id|span_id|insight|pattern|attr\.[^:\s"]+|resource\.[^:\s"]+)$/;

export class QuerySyntaxError extends Error {}

/** A "quoted value" or a bare one up to the next space, starting at i. */
function readValue(q: string, i: number): { value: string; quoted: boolean; end: number } {
  if (q[i] === '"') {
    const close = q.indexOf('"', i + 1);
    if (close < 0) throw new QuerySyntaxError(`unclosed quote at character ${i + 1}`);
    return { value: q.slice(i + 1, close), quoted: true, end: close + 1 };
  }
  let k = i;
  while (k < q.length && !/\s/.test(q[k])) k++;
  return { value: q.slice(i, k), quoted: false, end: k };
}

/** Splits a query into terms; throws QuerySyntaxError for an unclosed quote, an unknown key or an empty value. */
export function parseQuery(q: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  const n = q.length;
  while (i < n) {
    while (i < n && /\s/.test(q[i])) i++;
    if (i >= n) break;
    const start = i;
    let negated = false;
    if (q[i] === '-') {
      negated = true;
      i++;
    }
    let key: string | null = null;
    let j = i;
    while (j < n && !/\s/.test(q[j]) && q[j] !== ':' && q[j] !== '"') j++;
    if (q[i] !== '"' && j < n && q[j] === ':') {
      key = q.slice(i, j);
      if (!KEY_RE.test(key)) throw new QuerySyntaxError(`unknown filter "${key}:"; use ${KEY_PREFIXES.join(':, ')}:, attr.KEY: or resource.KEY:`);
      i = j + 1;
    }
    const { value, quoted, end } = readValue(q, i);
    i = end;
    if (key !== null && value === '') throw new QuerySyntaxError(`"${key}:" has no value`);
    if (!quoted && value === '' && key === null) throw new QuerySyntaxError(`a lone "-" at character ${start + 1}`);
    terms.push({ negated, key, value, quoted, text: q.slice(start, i) });
  }
  return terms;
}

/** The value as the query syntax needs it: quoted when it holds spaces, quotes or colons. */
export function quoteValue(v: string): string {
  if (v !== '' && !/[\s":]/.test(v)) return v;
  return `"${v.replace(/"/g, '')}"`;
}

/** The filter key for an attribute path of the log row ("attributes" / "resource" / top level). */
export function filterKey(source: 'attributes' | 'resource' | 'log', key: string): string | null {
  if (source === 'attributes') return `attr.${key}`;
  if (source === 'resource') return key === 'service.name' ? 'service' : `resource.${key}`;
  const top: Record<string, string> = { service: 'service', trace_id: 'trace_id', span_id: 'span_id', severity_text: 'severity', pattern_id: 'pattern' };
  return top[key] ?? null;
}

/**
 * Adds `key:value` (or `-key:value` when negated) to the query, replacing the same term or its
 * opposite when present. An unparsable query gets the term appended as is.
 */
export function addTerm(q: string, key: string, value: string, negated = false): string {
  const text = `${negated ? '-' : ''}${key}:${quoteValue(value)}`;
  let terms: Term[];
  try {
    terms = parseQuery(q);
  } catch {
    return q.trim() ? `${q.trim()} ${text}` : text;
  }
  const kept = terms.filter((t) => !(t.key === key && t.value === value)).map((t) => t.text);
  kept.push(text);
  return kept.join(' ');
}

/** Removes every term with this key (e.g. the old `service:` filters when the facet changes). */
export function removeKey(q: string, key: string): string {
  try {
    return parseQuery(q)
      .filter((t) => t.key !== key)
      .map((t) => t.text)
      .join(' ');
  } catch {
    return q;
  }
}

/** The error message for a query, or null when it is valid. */
export function queryError(q: string): string | null {
  try {
    parseQuery(q);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export const QUERY_EXAMPLES: { q: string; what: string }[] = [
  { q: 'timeout', what: 'the body contains the word "timeout"' },
  { q: 'conn*', what: 'a word starting with "conn"' },
  { q: '"connection reset"', what: 'the body contains the phrase' },
  { q: 'service:checkout', what: 'logs of the service "checkout"' },
  { q: 'severity:>=WARN', what: 'WARN, ERROR and FATAL' },
  { q: 'attr.http.route:"/api/cart"', what: 'a log attribute equals a value' },
  { q: 'resource.host.name:web-1', what: 'a resource attribute equals a value' },
  { q: 'trace_id:5b8efff798038103d269b633813fc60c', what: 'logs of one trace' },
  { q: 'insight:database', what: 'logs with this insight category' },
  { q: '-service:cart -"health check"', what: 'negate any term with "-"' },
];
