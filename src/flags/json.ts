import type { FlagProblem } from './schema.js';
import { checkStructure } from './structure.js';

/**
 * checkStructure (depth, duplicate keys), then JSON.parse plus a prototype-poisoning guard (the rule secure-json-parse applies): a `__proto__` key, or a
 * `constructor` key holding an object with `prototype`, anywhere in the document is a problem. JSON.parse
 * itself only creates own properties, but a later spread or deep merge of such a value would poison
 * Object.prototype, so the keys are reported and removed before anything else sees the value.
 */
export function parseJsonSafely(
  text: string,
): { ok: true; value: unknown; problems: FlagProblem[] } | { ok: false; problems: FlagProblem[] } {
  const structure = checkStructure(text);
  // Too deep: nothing further may walk the value, not even JSON.parse.
  if (structure.tooDeep !== undefined) return { ok: false, problems: [structure.tooDeep, ...structure.duplicates] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '(file)', message: `is not JSON: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
  return { ok: true, value, problems: [...structure.duplicates, ...stripPoison(value)] };
}

interface Visit {
  node: unknown;
  key: string;
  parent: Visit | undefined;
}

/** The path is built only when a problem is reported: copying it per node would be quadratic in the depth. */
function pathOf(visit: Visit | undefined, ...keys: string[]): string {
  const parts = keys;
  for (let at = visit; at?.parent !== undefined; at = at.parent) parts.unshift(at.key);
  return parts.join('.');
}

/** Removes poisonous keys in place and reports each. Iterative, so deeply nested input cannot overflow the stack. */
function stripPoison(root: unknown): FlagProblem[] {
  const problems: FlagProblem[] = [];
  const stack: Visit[] = [{ node: root, key: '', parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    if (typeof visit.node !== 'object' || visit.node === null) continue;
    const record = visit.node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (key === '__proto__') {
        problems.push({ path: pathOf(visit, key), message: 'forbidden key (prototype poisoning)' });
        delete record[key];
      } else if (
        key === 'constructor' &&
        typeof child === 'object' &&
        child !== null &&
        Object.hasOwn(child, 'prototype')
      ) {
        problems.push({ path: pathOf(visit, key, 'prototype'), message: 'forbidden key (prototype poisoning)' });
        delete record[key];
      } else if (typeof child === 'object' && child !== null) {
        stack.push({ node: child, key, parent: visit });
      }
    }
  }
  // Sorted so a report is the same on every run, whatever order the walk took.
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
