import type { FlagProblem } from './schema.js';

/** Deepest nesting of objects and arrays a flag may have; a valid flag needs 3 (body, params, a value). */
export const MAX_DEPTH = 32;

interface Frame {
  kind: 'object' | 'array';
  /** Keys seen so far (objects), decoded, so `"a"` and `"\u0061"` are the same key. */
  keys: Set<string>;
  /** The current key or array index, for JSON paths. */
  at: string;
  expectKey: boolean;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Index of the quote that closes the string opening at `start`, or -1 when unterminated. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') i += 1;
    else if (c === '"') return i;
  }
  return -1;
}

function decodeKey(raw: string): string | undefined {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}

function pathOf(stack: readonly Frame[], key: string): string {
  return [...stack.map((frame) => frame.at).slice(0, -1), key].join('.');
}

/**
 * A pass over the text before JSON.parse sees it, for what JSON.parse hides or chokes on: nesting deeper
 * than MAX_DEPTH (recursive code further on would overflow the stack) and duplicate keys at any level
 * (JSON.parse silently keeps the last, so a flag could show one value and run another). Iterative, one
 * pass, stops at the depth limit. Syntax errors are not its business: it gives up quietly and JSON.parse
 * names them. (A library would do if one checked both without recursion; this is small enough to own.)
 */
export function checkStructure(text: string): { tooDeep?: FlagProblem; duplicates: FlagProblem[] } {
  const problems: FlagProblem[] = [];
  const duplicates = { duplicates: problems };
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    const top = stack[stack.length - 1];
    if (WHITESPACE.has(c)) continue;
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return duplicates;
      if (top?.kind === 'object' && top.expectKey) {
        const key = decodeKey(text.slice(i, end + 1));
        if (key === undefined) return duplicates;
        if (top.keys.has(key))
          problems.push({
            path: pathOf(stack, key),
            message: 'is given twice (duplicate key: JSON would silently keep only the last)',
          });
        top.keys.add(key);
        top.at = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) {
        const tooDeep = {
          path: '(file)',
          message: `is too deeply nested: more than ${String(MAX_DEPTH)} levels of objects and arrays (a flag needs 3)`,
        };
        return { tooDeep, duplicates: problems };
      }
      stack.push({
        kind: c === '{' ? 'object' : 'array',
        keys: new Set(),
        at: c === '[' ? '0' : '',
        expectKey: c === '{',
      });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top !== undefined) {
      if (top.kind === 'array') top.at = String(Number(top.at) + 1);
      else top.expectKey = true;
    }
  }
  return duplicates;
}
