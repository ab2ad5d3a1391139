/**
 * The list-filter language (visibility/{lexer,parser,evaluate}.ts) as the RPCs use it: a filter, an order
 * and a group-by, checked against the namespace's search attribute types before anything runs.
 */
import { invalidArgument } from '../wire/errors.js';
import { parseQuery } from './parser.js';
import { compileFilter, compileOrder, resolveType } from './evaluate.js';
import type { FieldType, Lookup, SaType, TypeOf } from './evaluate.js';

export type { Lookup, SaType, TypeOf };
export type Predicate = (get: Lookup) => boolean;

export interface ListQuery {
  matches: Predicate;
  /** The query's ORDER BY; null when it has none, so the caller keeps the store's default order. */
  order: ((a: Lookup, b: Lookup) => number) | null;
  /** GROUP BY fields (only ExecutionStatus passes validation). */
  groupBy: string[];
}

const notSupported = (what: string) => invalidArgument(`invalid query: operation is not supported: ${what}`);

/** Type names by the IndexedValueType numbers the registry stores. */
const TYPE_BY_NUMBER: Record<number, SaType> = {
  1: 'Text',
  2: 'Keyword',
  3: 'Int',
  4: 'Double',
  5: 'Bool',
  6: 'Datetime',
  7: 'KeywordList',
};

export function typeOfFrom(types: Record<string, number>): TypeOf {
  return (field) => (Object.hasOwn(types, field) ? TYPE_BY_NUMBER[types[field] ?? 0] : undefined);
}

/**
 * Compiles a List/Count/Scan query; `forCount` admits GROUP BY and refuses ORDER BY next to it. Clause names
 * in messages are lower case, as the server's SQL converter writes them.
 */
export function compileListQuery(query: string, typeOf: TypeOf, forCount = false): ListQuery {
  const parsed = parseQuery(query.trim());
  if (parsed.limit) throw notSupported("'limit' clause");
  const matches = compileFilter(parsed.where, typeOf);
  if (parsed.groupBy.length > 0) {
    if (!forCount) throw notSupported("'group by' clause");
    if (parsed.groupBy.length > 1) throw notSupported("'group by' clause supports only a single field");
    for (const field of parsed.groupBy) {
      resolveType(typeOf, field);
      if (field !== 'ExecutionStatus')
        throw notSupported("'group by' clause is only supported for ExecutionStatus search attribute");
    }
    if (parsed.orderBy.length > 0) throw notSupported("'order by' clause is not supported with 'group by' clause");
  }
  const order = parsed.orderBy.length > 0 ? compileOrder(parsed.orderBy, typeOf) : null;
  return { matches, order, groupBy: parsed.groupBy };
}

/** Untyped filter for ListSchedules: any field, values compared as given (no registry to check against). */
export function parseListQuery(query: string): Predicate {
  const any: FieldType = 'Any';
  return compileListQuery(query, () => any).matches;
}
