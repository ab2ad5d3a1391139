/** The list-filter language on plain rows: grammar, typing, SQL null semantics and the server's error texts. */
import { describe, expect, it } from '@jest/globals';
import { compileListQuery, parseListQuery, typeOfFrom } from '../../src/devserver/visibility/list-query.js';
import type { Lookup } from '../../src/devserver/visibility/list-query.js';

// IndexedValueType numbers: Text 1, Keyword 2, Int 3, Double 4, Bool 5, Datetime 6, KeywordList 7.
const typeOf = typeOfFrom({
  WorkflowId: 2,
  WorkflowType: 2,
  ExecutionStatus: 2,
  TaskQueue: 2,
  StartTime: 6,
  CloseTime: 6,
  Kw: 2,
  Txt: 1,
  Num: 3,
  Flag: 5,
  When: 6,
  Score: 4,
  Tags: 7,
});

type Row = Record<string, unknown> & { id: string };
const t0 = Date.parse('2026-01-01T00:00:00Z');
const rows: Row[] = [
  {
    id: 'a',
    WorkflowId: 'a',
    ExecutionStatus: 'Running',
    StartTime: t0,
    Kw: 'red',
    Txt: 'Deploy the Payments service',
    Num: 1,
    Flag: true,
    When: '2026-01-01T00:00:00.5Z',
    Tags: ['x', 'y'],
  },
  {
    id: 'b',
    WorkflowId: 'b',
    ExecutionStatus: 'Completed',
    StartTime: t0 + 1000,
    CloseTime: t0 + 5000,
    Kw: 'green',
    Txt: 'rollback payments-db',
    Num: 5,
    Flag: false,
    When: '2026-01-02T00:00:00Z',
  },
  {
    id: 'c',
    WorkflowId: 'c',
    ExecutionStatus: 'Failed',
    StartTime: t0 + 2000,
    CloseTime: t0 + 3000,
    Kw: 'redish',
    Num: 10,
    Score: 2.5,
    Tags: ['z'],
  },
];
const get =
  (r: Row): Lookup =>
  (f) =>
    r[f];

function ids(query: string): string[] {
  const q = compileListQuery(query, typeOf);
  const out = rows.filter((r) => q.matches(get(r)));
  if (q.order) {
    const order = q.order;
    out.sort((a, b) => order(get(a), get(b)));
  }
  return out.map((r) => r.id);
}

function error(query: string, forCount = false): string {
  try {
    compileListQuery(query, typeOf, forCount);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`no error for ${query}`);
}

describe('list query', () => {
  it('compares each type with each operator', () => {
    expect(ids(`Kw = 'red'`)).toEqual(['a']);
    expect(ids(`Kw != 'red'`)).toEqual(['b', 'c']);
    expect(ids(`Num > 1`)).toEqual(['b', 'c']);
    expect(ids(`Num >= 5 AND Num <= 5`)).toEqual(['b']);
    expect(ids(`Num < '5'`)).toEqual(['a']);
    expect(ids(`Kw IN ('green', 'redish')`)).toEqual(['b', 'c']);
    expect(ids(`Kw NOT IN ('green')`)).toEqual(['a', 'c']);
    expect(ids(`Kw STARTS_WITH 're'`)).toEqual(['a', 'c']);
    expect(ids(`Kw NOT STARTS_WITH 're'`)).toEqual(['b']);
    expect(ids(`Num BETWEEN 2 AND 10`)).toEqual(['b', 'c']);
    expect(ids(`Num NOT BETWEEN 2 AND 10`)).toEqual(['a']);
    expect(ids(`Flag = true`)).toEqual(['a']);
    expect(ids(`Flag = 'false'`)).toEqual(['b']);
    expect(ids(`When > '2026-01-01T00:00:00.4Z'`)).toEqual(['a', 'b']);
    expect(ids(`When <= '2026-01-01T01:00:00+01:00'`)).toEqual([]);
    expect(ids(`StartTime BETWEEN '2026-01-01T00:00:01Z' AND '2026-01-01T00:00:02Z'`)).toEqual(['b', 'c']);
    expect(ids(`Score >= 2.5`)).toEqual(['c']);
    expect(ids(`Tags = 'y'`)).toEqual(['a']);
    expect(ids(`Tags IN ('z', 'q')`)).toEqual(['c']);
    expect(ids(`Tags != 'z'`)).toEqual(['a', 'b']);
  });

  it('matches Text by tokens, case-insensitively, any of the words', () => {
    expect(ids(`Txt = 'payments'`)).toEqual(['a', 'b']);
    expect(ids(`Txt = 'PAYMENTS-db'`)).toEqual(['b']);
    expect(ids(`Txt = 'deploy nothing'`)).toEqual(['a']);
    expect(ids(`Txt = 'pay'`)).toEqual([]);
    expect(ids(`Txt != 'payments'`)).toEqual(['c']);
  });

  it('maps ExecutionStatus names to the enum and coalesces an open CloseTime', () => {
    expect(ids(`ExecutionStatus = 'Running'`)).toEqual(['a']);
    expect(ids(`ExecutionStatus IN ('Completed', 'WORKFLOW_EXECUTION_STATUS_FAILED')`)).toEqual(['b', 'c']);
    expect(ids(`ExecutionStatus > 1`)).toEqual(['b', 'c']);
    expect(ids(`CloseTime > '2026-06-01T00:00:00Z'`)).toEqual(['a']);
    expect(ids(`CloseTime IS NULL`)).toEqual(['a']);
    expect(ids(`CloseTime IS NOT NULL`)).toEqual(['b', 'c']);
  });

  it('gives a missing value SQL NULL semantics', () => {
    expect(ids(`Score != 1`)).toEqual(['c']);
    expect(ids(`NOT (Score = 1)`)).toEqual(['c']);
    expect(ids(`Score = 1 OR Kw = 'red'`)).toEqual(['a']);
    expect(ids(`Txt IS NULL`)).toEqual(['c']);
  });

  it('binds AND tighter than OR, and parentheses override', () => {
    expect(ids(`Kw = 'red' OR Kw = 'green' AND Num = 10`)).toEqual(['a']);
    expect(ids(`(Kw = 'red' OR Kw = 'green') AND Num = 5`)).toEqual(['b']);
  });

  it('orders by any non-Text field, missing values last', () => {
    expect(ids(`ORDER BY StartTime DESC`)).toEqual(['c', 'b', 'a']);
    expect(ids(`Num > 0 order by Num asc`)).toEqual(['a', 'b', 'c']);
    expect(ids(`ORDER BY Score DESC`)[0]).toBe('c');
    expect(ids(`ORDER BY CloseTime`)).toEqual(['c', 'b', 'a']);
  });

  it('accepts GROUP BY ExecutionStatus on count only', () => {
    expect(compileListQuery(`Num > 1 GROUP BY ExecutionStatus`, typeOf, true).groupBy).toEqual(['ExecutionStatus']);
    expect(error(`GROUP BY ExecutionStatus`)).toBe(`invalid query: operation is not supported: 'group by' clause`);
    expect(error(`GROUP BY WorkflowType`, true)).toBe(
      `invalid query: operation is not supported: 'group by' clause is only supported for ExecutionStatus search attribute`,
    );
    expect(error(`GROUP BY ExecutionStatus, Kw`, true)).toBe(
      `invalid query: operation is not supported: 'group by' clause supports only a single field`,
    );
    expect(error(`GROUP BY ExecutionStatus ORDER BY StartTime`, true)).toContain(
      `'order by' clause is not supported with 'group by' clause`,
    );
  });

  it('names the unsupported part in INVALID_ARGUMENT', () => {
    expect(error(`Nope = 'x'`)).toBe(
      `invalid query: invalid expression: column name 'Nope' is not a valid search attribute`,
    );
    expect(error(`WorkflowId LIKE 'a%'`)).toBe(
      "invalid query: invalid expression: invalid operator 'like' in `WorkflowId like 'a%'`",
    );
    expect(error(`Txt < 'a'`)).toBe(
      "invalid query: invalid expression: operator '<' not supported for Text type search attribute in `Txt < 'a'`",
    );
    expect(error(`Txt STARTS_WITH 'a'`)).toContain(`operator 'starts_with' not supported for Text type`);
    expect(error(`Tags > 'a'`)).toContain(`operator '>' not supported for KeywordList type`);
    expect(error(`Txt BETWEEN 'a' AND 'b'`)).toBe(
      `invalid query: invalid expression: cannot do range condition on search attribute 'Txt' of type Text`,
    );
    expect(error(`Flag BETWEEN 1 AND 2`)).toContain(`of type Bool`);
    expect(error(`Num STARTS_WITH 'a'`)).toContain(`right-hand side of 'starts_with' must be a literal string`);
    expect(error(`When = 'yesterday'`)).toBe(`invalid query: invalid expression: unable to parse datetime 'yesterday'`);
    expect(error(`ExecutionStatus = 'Done'`)).toBe(
      `invalid query: invalid expression: invalid ExecutionStatus value 'Done'`,
    );
    expect(error(`Num = 'abc'`)).toBe(`invalid query: invalid value for search attribute Num of type Int: "abc"`);
    expect(error(`WorkflowId IN ()`)).toBe(`invalid query: malformed SQL query: syntax error at position 44`);
    expect(error(`bad query`)).toBe(`invalid query: malformed SQL query: syntax error at position 37 near 'query'`);
    expect(error(`WorkflowId = abc`)).toContain(
      `column name on the right side of comparison expression (did you forget to quote 'abc'?)`,
    );
    expect(error(`ORDER BY Txt`)).toContain(`unable to sort by field of Text type`);
    expect(error(`ORDER BY Nope`)).toContain(`column name 'Nope' is not a valid search attribute`);
    expect(error(`Kw = 'a' LIMIT 5`)).toBe(`invalid query: operation is not supported: 'limit' clause`);
    expect(error(`lower(Kw) = 'a'`)).toBe(`invalid query: operation is not supported: function expression`);
    expect(error(`Kw = 'a' AND`)).toMatch(/^invalid query: malformed SQL query: syntax error at position \d+$/);
    expect(error(`Kw = = 'a'`)).toMatch(/^invalid query: malformed SQL query: syntax error at position 34$/);
    expect(error(`(Kw = 'a'`)).toContain('malformed SQL query');
    expect(error(`Kw = 'unterminated`)).toContain('malformed SQL query');
  });

  it('reads SQL literals: doubled and escaped quotes, double quotes, backticks, negatives, <>', () => {
    const quoted: Row = { id: 'q', Kw: "it's", Num: -3 };
    const match = (query: string) => compileListQuery(query, typeOf).matches(get(quoted));
    expect(match(`Kw = 'it''s'`)).toBe(true);
    expect(match(`Kw = 'it\\'s'`)).toBe(true);
    expect(match(`\`Kw\` = "it's"`)).toBe(true);
    expect(match(`Num = -3 AND Num <> 3 AND Num>-4`)).toBe(true);
    expect(error(`kw = 'x'`)).toContain(`column name 'kw' is not a valid search attribute`);
  });

  it('matches Text with accents and case folded, like SQLite FTS unicode61', () => {
    const row: Row = { id: 't', Txt: 'Café Déploiement' };
    expect(compileListQuery(`Txt = 'cafe'`, typeOf).matches(get(row))).toBe(true);
    expect(compileListQuery(`Txt = 'DEPLOIEMENT'`, typeOf).matches(get(row))).toBe(true);
    expect(error(`Txt = '  '`)).toContain('no tokens found');
  });

  it('keeps the untyped filter ListSchedules uses', () => {
    const matches = parseListQuery(`TemporalSchedulePaused = true AND ScheduleId STARTS_WITH 'nightly'`);
    expect(matches((f) => ({ TemporalSchedulePaused: true, ScheduleId: 'nightly-1' })[f])).toBe(true);
    expect(matches((f) => ({ TemporalSchedulePaused: false, ScheduleId: 'nightly-1' })[f])).toBe(false);
    expect(parseListQuery('')(() => undefined)).toBe(true);
  });
});
