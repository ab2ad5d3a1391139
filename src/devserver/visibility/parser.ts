/** Parses a list filter into a small AST; meaning (field types, values) is checked in evaluate.ts. */
import { invalidArgument } from '../wire/errors.js';
import { malformed, tokenize } from './lexer.js';
import type { Tok } from './lexer.js';

export type LitKind = 'str' | 'num' | 'bool' | 'null' | 'col';
export interface Lit {
  kind: LitKind;
  value: string | number | boolean;
  text: string;
}

/** Comparison operators as sqlparser spells them (lower case), including the ones we reject later. */
export type CmpOp =
  | '='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | 'in'
  | 'not in'
  | 'starts_with'
  | 'not starts_with'
  | 'like'
  | 'not like'
  | 'regexp'
  | 'not regexp';

export type Expr =
  | { t: 'and' | 'or'; l: Expr; r: Expr }
  | { t: 'not'; e: Expr }
  | { t: 'cmp'; field: string; op: CmpOp; values: Lit[]; text: string }
  | { t: 'between'; field: string; not: boolean; from: Lit; to: Lit; text: string }
  | { t: 'isnull'; field: string; not: boolean; text: string };

export interface OrderBy {
  field: string;
  desc: boolean;
}
export interface ParsedQuery {
  where: Expr | null;
  groupBy: string[];
  orderBy: OrderBy[];
  limit: boolean;
}

const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'between',
  'starts_with',
  'is',
  'null',
  'order',
  'group',
  'by',
  'limit',
  'like',
  'regexp',
]);
const notSupported = (what: string) => invalidArgument(`invalid query: operation is not supported: ${what}`);

export function parseQuery(query: string): ParsedQuery {
  const toks = tokenize(query);
  let i = 0;
  const peek = (k = 0): Tok => toks[Math.min(i + k, toks.length - 1)]!;
  const next = (): Tok => toks[Math.min(i++, toks.length - 1)]!;
  const isWord = (w: string, k = 0): boolean => peek(k).kind === 'ident' && peek(k).value.toLowerCase() === w;
  // sqlparser names the token it stopped at only for words and values, never for operators or punctuation.
  const fail = (t: Tok = peek()): never => {
    throw malformed(t.kind === 'op' || t.kind === 'punct' ? '' : t.value, t.end);
  };
  const expectWord = (w: string): void => {
    if (!isWord(w)) fail();
    i++;
  };
  const expectPunct = (p: string): void => {
    if (peek().kind !== 'punct' || peek().value !== p) fail();
    i++;
  };

  const literal = (): Lit => {
    const t = next();
    if (t.kind === 'str') return { kind: 'str', value: t.value, text: `'${t.value.replace(/'/g, "\\'")}'` };
    if (t.kind === 'num') return { kind: 'num', value: Number(t.value), text: t.value };
    if (t.kind === 'ident') {
      const w = t.value.toLowerCase();
      if (w === 'true' || w === 'false') return { kind: 'bool', value: w === 'true', text: w };
      if (w === 'null') return { kind: 'null', value: 'null', text: 'null' };
      if (!KEYWORDS.has(w)) return { kind: 'col', value: t.value, text: t.value };
    }
    return fail(t);
  };

  const column = (): string => {
    const t = peek();
    if (t.kind === 'ident' && !KEYWORDS.has(t.value.toLowerCase())) {
      i++;
      if (peek().kind === 'punct' && peek().value === '(') throw notSupported('function expression');
      return t.value;
    }
    if (t.kind === 'str' || t.kind === 'num') {
      throw invalidArgument('invalid query: invalid expression: must be a column name but was *sqlparser.SQLVal');
    }
    return fail(t);
  };

  const predicate = (): Expr => {
    const field = column();
    if (isWord('is')) {
      i++;
      const not = isWord('not') ? (i++, true) : false;
      expectWord('null');
      return { t: 'isnull', field, not, text: `${field} is ${not ? 'not ' : ''}null` };
    }
    const not = isWord('not') ? (i++, true) : false;
    if (isWord('between')) {
      i++;
      const from = literal();
      expectWord('and');
      const to = literal();
      return {
        t: 'between',
        field,
        not,
        from,
        to,
        text: `${field} ${not ? 'not ' : ''}between ${from.text} and ${to.text}`,
      };
    }
    if (isWord('in')) {
      i++;
      expectPunct('(');
      const values = [literal()];
      while (peek().kind === 'punct' && peek().value === ',') {
        i++;
        values.push(literal());
      }
      expectPunct(')');
      const op: CmpOp = not ? 'not in' : 'in';
      return { t: 'cmp', field, op, values, text: `${field} ${op} (${values.map((v) => v.text).join(', ')})` };
    }
    for (const w of ['starts_with', 'like', 'regexp'] as const) {
      if (!isWord(w)) continue;
      i++;
      const value = literal();
      const op = (not ? `not ${w}` : w) as CmpOp;
      return { t: 'cmp', field, op, values: [value], text: `${field} ${op} ${value.text}` };
    }
    if (not || peek().kind !== 'op') return fail();
    const op = next().value as CmpOp;
    const value = literal();
    return { t: 'cmp', field, op, values: [value], text: `${field} ${op} ${value.text}` };
  };

  const unary = (): Expr => {
    if (isWord('not')) {
      i++;
      return { t: 'not', e: unary() };
    }
    if (peek().kind === 'punct' && peek().value === '(') {
      i++;
      const inner = or();
      expectPunct(')');
      return inner;
    }
    return predicate();
  };
  const and = (): Expr => {
    let l = unary();
    while (isWord('and')) {
      i++;
      l = { t: 'and', l, r: unary() };
    }
    return l;
  };
  const or = (): Expr => {
    let l = and();
    while (isWord('or')) {
      i++;
      l = { t: 'or', l, r: and() };
    }
    return l;
  };

  const out: ParsedQuery = { where: null, groupBy: [], orderBy: [], limit: false };
  if (peek().kind !== 'eof' && !((isWord('order') || isWord('group')) && isWord('by', 1))) out.where = or();
  if (isWord('group')) {
    i++;
    expectWord('by');
    out.groupBy.push(column());
    while (peek().kind === 'punct' && peek().value === ',') {
      i++;
      out.groupBy.push(column());
    }
  }
  if (isWord('order')) {
    i++;
    expectWord('by');
    do {
      if (out.orderBy.length > 0) i++;
      const field = column();
      const desc = isWord('desc');
      if (desc || isWord('asc')) i++;
      out.orderBy.push({ field, desc });
    } while (peek().kind === 'punct' && peek().value === ',');
  }
  if (isWord('limit')) {
    i++;
    if (next().kind !== 'num') fail(toks[i - 1]);
    out.limit = true;
  }
  if (peek().kind !== 'eof') fail();
  return out;
}
