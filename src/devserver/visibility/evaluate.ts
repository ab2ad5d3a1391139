/**
 * Typed meaning of a parsed filter, with the SQL visibility store's semantics: comparisons with a missing
 * value are unknown (three-valued logic), Text matches tokens like SQLite FTS, CloseTime of an open run
 * counts as 9999-12-31 (the store's COALESCE), ExecutionStatus compares by its enum number.
 */
import { invalidArgument } from '../wire/errors.js';
import type { RpcError } from '../wire/errors.js';
import type { CmpOp, Expr, Lit, OrderBy } from './parser.js';

export type SaType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';
/** `Any` is the untyped mode kept for ListSchedules, which has no registry behind it here. */
export type FieldType = SaType | 'Any';
export type TypeOf = (field: string) => FieldType | undefined;
export type Lookup = (field: string) => unknown;
type Scalar = string | number | boolean;
type Tri = boolean | null;
type Node = (get: Lookup) => Tri;

/** WorkflowExecutionStatus numbers by the engine's status names: filters, describe and query rejections share them. */
export const STATUS_CODES: Record<string, number> = {
  Running: 1,
  Completed: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  ContinuedAsNew: 6,
  TimedOut: 7,
};
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
const COMPARISON_OPS = new Set<CmpOp>([
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'not in',
  'starts_with',
  'not starts_with',
]);
const RANGE_TYPES = new Set<FieldType>(['Datetime', 'Double', 'Int', 'Keyword', 'Any']);
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

const bad = (msg: string): RpcError => invalidArgument(`invalid query: invalid expression: ${msg}`);

export function resolveType(typeOf: TypeOf, field: string): FieldType {
  const type = typeOf(field);
  if (!type) throw bad(`column name '${field}' is not a valid search attribute`);
  return type;
}

/** RFC3339(Nano) to epoch milliseconds, keeping sub-millisecond digits as a fraction. */
export function parseDatetime(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  return Number.isNaN(base) ? undefined : base + Number(`0.${m[2] ?? '0'}`) * 1000;
}

/** Tokens as SQLite FTS5's unicode61 tokenizer makes them: alphanumeric runs, case and accents folded. */
export function textTokens(s: string): string[] {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function containsPhrase(haystack: string[], phrase: string[]): boolean {
  if (phrase.length === 0) return false;
  for (let i = 0; i + phrase.length <= haystack.length; i++) {
    if (phrase.every((p, k) => haystack[i + k] === p)) return true;
  }
  return false;
}

/** A run's value of a field, normalised for comparison; null when the run has none. */
export function rowValue(get: Lookup, field: string, type: FieldType): Scalar | string[] | null {
  let raw = get(field);
  if (type === 'KeywordList')
    return raw === undefined || raw === null ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
  // SDKs send every attribute as a list; a non-list type holds its single element.
  if (Array.isArray(raw)) raw = raw[0];
  if (raw === undefined || raw === null || raw === '') return null;
  if (field === 'ExecutionStatus') return STATUS_CODES[String(raw)] ?? null;
  if (type === 'Datetime') return typeof raw === 'number' ? raw : (parseDatetime(String(raw)) ?? null);
  if (type === 'Int' || type === 'Double') return Number(raw);
  if (type === 'Bool') return raw === true || raw === 'true';
  if (type === 'Any') return raw as Scalar;
  return String(raw);
}

function literal(lit: Lit, field: string, type: FieldType): Scalar {
  if (lit.kind === 'col') {
    throw invalidArgument(
      `invalid query: operation is not supported: column name on the right side of comparison expression (did you forget to quote '${lit.text}'?)`,
    );
  }
  if (lit.kind === 'null') throw bad('unexpected value type *sqlparser.NullVal');
  const v = lit.value;
  const invalid = (): never => {
    // The server's wording, with the value printed as Go's %#v does.
    throw invalidArgument(
      `invalid query: invalid value for search attribute ${field} of type ${type}: ${JSON.stringify(v)}`,
    );
  };
  if (field === 'ExecutionStatus') {
    if (typeof v === 'number') return v;
    // Like enumspb.WorkflowExecutionStatusFromString: the short name or the full enum name, case-sensitive.
    const code =
      STATUS_CODES[String(v)] ??
      Object.entries(STATUS_CODES).find(
        ([k]) => `WORKFLOW_EXECUTION_STATUS_${k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}` === v,
      )?.[1];
    if (code === undefined) throw bad(`invalid ExecutionStatus value '${String(v)}'`);
    return code;
  }
  switch (type) {
    case 'Datetime': {
      if (typeof v === 'number') return v / 1e6; // integers are Unix nanoseconds, as on the server
      const ms = typeof v === 'string' ? parseDatetime(v) : undefined;
      if (ms === undefined) throw bad(`unable to parse datetime '${String(v)}'`);
      return ms;
    }
    case 'Int':
    case 'Double': {
      const n = typeof v === 'boolean' || v === '' ? NaN : Number(v);
      return Number.isNaN(n) || (type === 'Int' && !Number.isInteger(n)) ? invalid() : n;
    }
    case 'Bool':
      if (typeof v === 'boolean') return v;
      return /^(true|false)$/i.test(String(v)) ? String(v).toLowerCase() === 'true' : invalid();
    case 'Any':
      return v;
    default:
      return typeof v === 'boolean' ? invalid() : String(v);
  }
}

export function compare(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

const not = (v: Tri): Tri => (v === null ? null : !v);

function comparison(e: Extract<Expr, { t: 'cmp' }>, typeOf: TypeOf): Node {
  const { field, op, text } = e;
  if (!COMPARISON_OPS.has(op)) throw bad(`invalid operator '${op}' in \`${text}\``);
  const type = resolveType(typeOf, field);
  const negated = op === '!=' || op.startsWith('not ');
  const base = negated ? (op === '!=' ? '=' : op.slice(4)) : op;
  if (
    base === 'starts_with' &&
    (e.values[0]?.kind !== 'str' || !['Keyword', 'Any', 'Text', 'KeywordList'].includes(type))
  ) {
    throw bad(`right-hand side of '${op}' must be a literal string (got: ${e.values[0]?.text ?? ''})`);
  }
  const values = e.values.map((lit) => literal(lit, field, type));
  const wrap = (n: Node): Node => (negated ? (get) => not(n(get)) : n);
  if (type === 'Text' || type === 'KeywordList') {
    if (type === 'Text' ? base !== '=' : base !== '=' && base !== 'in')
      throw bad(`operator '${op}' not supported for ${type} type search attribute in \`${text}\``);
    // The store matches through a full-text index (`rowid IN (...)`), so a missing value never yields unknown.
    if (type === 'KeywordList')
      return wrap((get) => (rowValue(get, field, type) as string[]).some((v) => values.includes(v)));
    const phrases = String(values[0]).split(' ').filter(Boolean).map(textTokens);
    if (phrases.length === 0)
      throw bad(`unexpected value for Text type search attribute (no tokens found in ${e.values[0]?.text ?? ''})`);
    return wrap((get) => {
      const v = rowValue(get, field, type);
      const tokens = v === null ? [] : textTokens(String(v));
      return phrases.some((p) => containsPhrase(tokens, p));
    });
  }
  if (base === 'starts_with') {
    const prefix = String(values[0]);
    return wrap((get) => {
      const v = rowValue(get, field, type);
      return v === null ? null : String(v).startsWith(prefix);
    });
  }
  const x = values[0] as Scalar;
  const closeTime = field === 'CloseTime';
  return wrap((get) => {
    const v = (rowValue(get, field, type) ?? (closeTime ? MAX_DATETIME_MS : null)) as Scalar | null;
    if (v === null) return null;
    switch (base) {
      case 'in':
        return values.some((w) => compare(v, w) === 0);
      case '=':
        return compare(v, x) === 0;
      case '<':
        return compare(v, x) < 0;
      case '>':
        return compare(v, x) > 0;
      case '<=':
        return compare(v, x) <= 0;
      default:
        return compare(v, x) >= 0;
    }
  });
}

function compile(e: Expr, typeOf: TypeOf): Node {
  switch (e.t) {
    case 'and': {
      const [l, r] = [compile(e.l, typeOf), compile(e.r, typeOf)];
      return (get) => {
        const a = l(get);
        if (a === false) return false;
        const b = r(get);
        return b === false ? false : a === null || b === null ? null : true;
      };
    }
    case 'or': {
      const [l, r] = [compile(e.l, typeOf), compile(e.r, typeOf)];
      return (get) => {
        const a = l(get);
        if (a === true) return true;
        const b = r(get);
        return b === true ? true : a === null || b === null ? null : false;
      };
    }
    case 'not': {
      const inner = compile(e.e, typeOf);
      return (get) => not(inner(get));
    }
    case 'isnull': {
      const type = resolveType(typeOf, e.field);
      return (get) => {
        const v = rowValue(get, e.field, type);
        return (v === null || (Array.isArray(v) && v.length === 0)) !== e.not;
      };
    }
    case 'between': {
      const type = resolveType(typeOf, e.field);
      if (!RANGE_TYPES.has(type))
        throw bad(`cannot do range condition on search attribute '${e.field}' of type ${type}`);
      const [from, to] = [literal(e.from, e.field, type), literal(e.to, e.field, type)];
      return (get) => {
        const v = (rowValue(get, e.field, type) ?? (e.field === 'CloseTime' ? MAX_DATETIME_MS : null)) as Scalar | null;
        if (v === null) return null;
        return (compare(v, from) >= 0 && compare(v, to) <= 0) !== e.not;
      };
    }
    default:
      return comparison(e, typeOf);
  }
}

/** A run matches when the filter is true; unknown (a missing value) excludes it, as in SQL. */
export function compileFilter(where: Expr | null, typeOf: TypeOf): (get: Lookup) => boolean {
  if (!where) return () => true;
  const node = compile(where, typeOf);
  return (get) => node(get) === true;
}

/** ORDER BY as Elasticsearch visibility sorts: any non-Text attribute, missing values last either way. */
export function compileOrder(orderBy: OrderBy[], typeOf: TypeOf): (a: Lookup, b: Lookup) => number {
  const keys = orderBy.map(({ field, desc }) => {
    const type = resolveType(typeOf, field);
    if (type === 'Text')
      throw invalidArgument(
        `invalid query: unable to convert 'order by' column name: unable to sort by field of Text type, use field of type Keyword`,
      );
    return { field, desc, type };
  });
  return (a, b) => {
    for (const { field, desc, type } of keys) {
      const [x, y] = [rowValue(a, field, type), rowValue(b, field, type)].map((v) =>
        Array.isArray(v) ? (v.length ? v.join(' ') : null) : v,
      );
      if (x === y) continue;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = compare(x, y);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  };
}
