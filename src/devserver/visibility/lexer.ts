/** Tokens of the list-filter language (the SQL WHERE / GROUP BY / ORDER BY subset the server parses). */
import { invalidArgument } from '../wire/errors.js';
import type { RpcError } from '../wire/errors.js';

export type TokKind = 'ident' | 'str' | 'num' | 'op' | 'punct' | 'eof';

export interface Tok {
  kind: TokKind;
  /** Identifier (backticks removed), string contents (unescaped), number text, operator or punctuation. */
  value: string;
  /** Offset just past the token, for the parser's error position. */
  end: number;
}

/**
 * The server runs the query through sqlparser as `select * from table1 where <query>`, so its syntax
 * error positions count from there; ours do too, to read the same.
 */
export const SQL_PREFIX_LEN = 'select * from table1 where '.length;

/** At the end of the query (nothing to be near) sqlparser names only the position, as the server shows. */
export function malformed(near: string, end: number): RpcError {
  const where = `syntax error at position ${SQL_PREFIX_LEN + end + 1}${near === '' ? '' : ` near '${near}'`}`;
  return invalidArgument(`invalid query: malformed SQL query: ${where}`);
}

const OPS = ['>=', '<=', '!=', '<>', '=', '<', '>'];

export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: 'punct', value: c, end: ++i });
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      i += op.length;
      // sqlparser reads `<>` as `!=`; normalising keeps the error texts in the server's spelling.
      out.push({ kind: 'op', value: op === '<>' ? '!=' : op, end: i });
      continue;
    }
    if (c === "'" || c === '"') {
      const { value, end } = quoted(text, i, c);
      out.push({ kind: 'str', value, end });
      i = end;
      continue;
    }
    if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) throw malformed(text.slice(i), text.length);
      out.push({ kind: 'ident', value: text.slice(i + 1, close), end: close + 1 });
      i = close + 1;
      continue;
    }
    const num = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (num && (c !== '-' || !/[\w)'"]/.test(out.length ? text.charAt(out[out.length - 1]!.end - 1) : ''))) {
      i += num[0].length;
      out.push({ kind: 'num', value: num[0], end: i });
      continue;
    }
    const word = /^[A-Za-z_][\w.]*/.exec(text.slice(i));
    if (!word) throw malformed(c, i + 1);
    i += word[0].length;
    out.push({ kind: 'ident', value: word[0], end: i });
  }
  out.push({ kind: 'eof', value: '', end: text.length });
  return out;
}

/** A quoted string: the quote doubled or backslash-escaped stands for itself, as in MySQL. */
function quoted(text: string, start: number, q: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length) {
      const n = text.charAt(i + 1);
      value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
    } else if (c === q && text.charAt(i + 1) === q) {
      value += q;
      i += 2;
    } else if (c === q) {
      return { value, end: i + 1 };
    } else {
      value += c;
      i++;
    }
  }
  throw malformed(text.slice(start), text.length);
}
