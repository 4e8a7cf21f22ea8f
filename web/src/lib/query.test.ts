import { describe, expect, it } from 'vitest';
import { addTerm, filterKey, parseQuery, queryError, quoteValue, removeKey } from './query';

describe('query bar syntax', () => {
  it('splits words, phrases, filters and negations', () => {
    const t = parseQuery('timeout -"connection reset" service:checkout attr.http.route:"/api/cart" -level:>=WARN');
    expect(t.map((x) => [x.negated, x.key, x.value])).toEqual([
      [false, null, 'timeout'],
      [true, null, 'connection reset'],
      [false, 'service', 'checkout'],
      [false, 'attr.http.route', '/api/cart'],
      [true, 'level', '>=WARN'],
    ]);
  });
  it('reports the errors the API would refuse', () => {
    expect(queryError('"unclosed')).toMatch(/unclosed quote/);
    expect(queryError('colour:red')).toMatch(/unknown filter "colour:"/);
    expect(queryError('service:')).toMatch(/has no value/);
    expect(queryError('a -')).toMatch(/lone "-"/);
    expect(queryError('service:a b')).toBeNull();
    expect(queryError('')).toBeNull();
  });
  it('quotes values only when needed', () => {
    expect(quoteValue('checkout')).toBe('checkout');
    expect(quoteValue('/api/cart items')).toBe('"/api/cart items"');
    expect(quoteValue('a:b')).toBe('"a:b"');
    expect(quoteValue('')).toBe('""');
  });
  it('adds and excludes key:value, replacing the opposite term', () => {
    expect(addTerm('', 'service', 'cart')).toBe('service:cart');
    expect(addTerm('timeout', 'attr.user', 'Ann Lee')).toBe('timeout attr.user:"Ann Lee"');
    expect(addTerm('timeout service:cart', 'service', 'cart', true)).toBe('timeout -service:cart');
    expect(addTerm('-service:cart', 'service', 'cart')).toBe('service:cart');
    expect(addTerm('"broken', 'service', 'cart')).toBe('"broken service:cart');
  });
  it('removes a key and maps JSON tree paths to filters', () => {
    expect(removeKey('a service:x b service:y', 'service')).toBe('a b');
    expect(filterKey('attributes', 'http.route')).toBe('attr.http.route');
    expect(filterKey('resource', 'service.name')).toBe('service');
    expect(filterKey('resource', 'host.name')).toBe('resource.host.name');
    expect(filterKey('log', 'trace_id')).toBe('trace_id');
    expect(filterKey('log', 'body')).toBeNull();
  });
});
