/** A small subset of the visibility query language: comparisons, IN, STARTS_WITH, IS NULL, AND/OR, parentheses. */
import { invalidArgument } from './errors.js';

export type Lookup = (field: string) => unknown;
export type Predicate = (get: Lookup) => boolean;

const TOKEN = /\s*(?:(\(|\)|,)|(>=|<=|!=|=|>|<)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`([^`]+)`|([A-Za-z_][\w.]*)|(-?\d+(?:\.\d+)?))/y;

type Tok = { kind: 'punct' | 'op' | 'str' | 'ident' | 'num'; value: string };

function tokenize(query: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let rest = query.trim();
  while (rest.length > 0) {
    TOKEN.lastIndex = 0;
    const m = TOKEN.exec(rest);
    if (!m) throw invalidArgument(`invalid query: ${query}`);
    if (m[1]) out.push({ kind: 'punct', value: m[1] });
    else if (m[2]) out.push({ kind: 'op', value: m[2] });
    else if (m[3] !== undefined) out.push({ kind: 'str', value: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'str', value: m[4] });
    else if (m[5]) out.push({ kind: 'ident', value: m[5] });
    else if (m[6]) out.push({ kind: 'ident', value: m[6] });
    else if (m[7]) out.push({ kind: 'num', value: m[7] });
    rest = rest.slice(m[0].length).trimStart();
  }
  return out;
}

function compare(a: unknown, b: string, op: string): boolean {
  const values = Array.isArray(a) ? a : [a];
  return values.some((v) => {
    if (v === undefined || v === null) return op === '!=';
    const left = typeof v === 'number' ? v : String(v);
    const right = typeof v === 'number' ? Number(b) : b;
    const ld = typeof left === 'string' ? Date.parse(left) : NaN;
    const rd = Date.parse(b);
    const [l, r] = !Number.isNaN(ld) && !Number.isNaN(rd) && /\d{4}-\d\d-\d\d/.test(b) ? [ld, rd] : [left, right];
    switch (op) {
      case '=': return l === r;
      case '!=': return l !== r;
      case '>': return l > r;
      case '<': return l < r;
      case '>=': return l >= r;
      case '<=': return l <= r;
      default: return false;
    }
  });
}

export function parseListQuery(query: string): Predicate {
  const text = query.replace(/\border\s+by\b[\s\S]*$/i, '').trim();
  if (!text) return () => true;
  const toks = tokenize(text);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const take = (): Tok => {
    const t = toks[i++];
    if (!t) throw invalidArgument(`invalid query: ${query}`);
    return t;
  };
  const isWord = (w: string): boolean => peek()?.kind === 'ident' && peek()?.value.toUpperCase() === w;
  const value = (): string => {
    const t = take();
    if (t.kind === 'punct' || t.kind === 'op') throw invalidArgument(`invalid query: ${query}`);
    return t.value;
  };
  const primary = (): Predicate => {
    if (peek()?.value === '(') {
      take();
      const inner = or();
      take();
      return inner;
    }
    const field = take().value;
    if (isWord('IS')) {
      take();
      const negate = isWord('NOT') ? (take(), true) : false;
      take();
      return (get) => (get(field) === undefined || get(field) === null) !== negate;
    }
    const negate = isWord('NOT') ? (take(), true) : false;
    if (isWord('IN')) {
      take();
      take();
      const list: string[] = [value()];
      while (peek()?.value === ',') {
        take();
        list.push(value());
      }
      take();
      return (get) => list.some((v) => compare(get(field), v, '=')) !== negate;
    }
    if (isWord('STARTS_WITH')) {
      take();
      const prefix = value();
      return (get) => String(get(field) ?? '').startsWith(prefix) !== negate;
    }
    const op = take();
    if (op.kind !== 'op') throw invalidArgument(`invalid query: ${query}`);
    const v = value();
    return (get) => compare(get(field), v, op.value);
  };
  const and = (): Predicate => {
    let left = primary();
    while (isWord('AND')) {
      take();
      const l = left;
      const r = primary();
      left = (get) => l(get) && r(get);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (isWord('OR')) {
      take();
      const l = left;
      const r = and();
      left = (get) => l(get) || r(get);
    }
    return left;
  };
  const predicate = or();
  if (i !== toks.length) throw invalidArgument(`invalid query: ${query}`);
  return predicate;
}
