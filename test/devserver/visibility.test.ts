/**
 * Visibility through the real SDK: List/Count/Scan with the list-filter language over a fixed set of runs
 * (completed, failed, running, delayed, terminated) carrying custom attributes of every supported type.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ServiceError } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import { itEngineOnly, useHarness } from './helpers.js';

const ORDER_BY = "the dev server's SQLite visibility store rejects every ORDER BY";

const { IndexedValueType } = temporal.api.enums.v1;
const kw = defineSearchAttributeKey('VisKw', SearchAttributeType.KEYWORD);
const txt = defineSearchAttributeKey('VisText', SearchAttributeType.TEXT);
const num = defineSearchAttributeKey('VisInt', SearchAttributeType.INT);
const flag = defineSearchAttributeKey('VisBool', SearchAttributeType.BOOL);
const when = defineSearchAttributeKey('VisTime', SearchAttributeType.DATETIME);

type Name = 'a' | 'b' | 'c' | 'd' | 'e';
const ids = {} as Record<Name, string>;
const names = new Map<string, Name>();
const tq = { one: '', two: '' };
const times = {} as Record<Name, { start: Date; close?: Date }>;

const h = useHarness();
beforeAll(async () => {
  await h.env.connection.operatorService.addSearchAttributes({
    namespace: h.namespace,
    searchAttributes: {
      VisKw: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      VisText: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      VisInt: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      VisBool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
      VisTime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    },
  });
  tq.one = h.taskQueue('vis-one');
  tq.two = h.taskQueue('vis-two');
  for (const n of ['a', 'b', 'c', 'd', 'e'] as const) {
    ids[n] = h.workflowId(`vis-${n}`);
    names.set(ids[n], n);
  }
  const start = async (
    n: Name,
    type: string,
    args: unknown[],
    taskQueue: string,
    attrs: SearchAttributePair[],
    extra = {},
  ) => {
    const handle = await h.client.workflow.start(type, {
      workflowId: ids[n],
      taskQueue,
      args,
      typedSearchAttributes: attrs,
      ...extra,
    });
    // Distinct start times make the orderings below exact.
    await new Promise((resolve) => setTimeout(resolve, 15));
    return handle;
  };
  const [worker1, worker2] = await Promise.all([
    h.createWorker({ taskQueue: tq.one }),
    h.createWorker({ taskQueue: tq.two }),
  ]);
  const run = Promise.all([worker1.run(), worker2.run()]);
  const a = await start('a', 'echo', ['x'], tq.one, [
    { key: kw, value: 'red' },
    { key: txt, value: 'Deploy the Payments service' },
    { key: num, value: 1 },
    { key: flag, value: true },
    { key: when, value: new Date('2026-01-01T00:00:00Z') },
  ]);
  const b = await start('b', 'echo', ['y'], tq.one, [
    { key: kw, value: 'green' },
    { key: txt, value: 'rollback payments-db' },
    { key: num, value: 5 },
    { key: flag, value: false },
    { key: when, value: new Date('2026-01-02T00:00:00Z') },
  ]);
  const c = await start('c', 'failWith', ['boom', 'Boom', true], tq.two, [
    { key: kw, value: 'redish' },
    { key: num, value: 10 },
  ]);
  await start('d', 'waitForFinish', [], tq.two, [{ key: kw, value: 'blue' }], { startDelay: '1h' });
  const e = await start('e', 'waitForFinish', [], tq.one, [{ key: num, value: 7 }]);
  await Promise.all([a.result(), b.result(), c.result().catch(() => undefined)]);
  await e.terminate('done here');
  for (const handle of [a, b, c]) h.track(handle);
  worker1.shutdown();
  worker2.shutdown();
  await run;
  for await (const info of h.client.workflow.list()) {
    times[names.get(info.workflowId)!] = { start: info.startTime, close: info.closeTime };
  }
});

async function list(query: string, pageSize?: number): Promise<Name[]> {
  const out: Name[] = [];
  for await (const info of h.client.workflow.list({ query, pageSize }))
    out.push(names.get(info.workflowId) ?? (info.workflowId as Name));
  return out;
}
const set = async (query: string): Promise<Name[]> => (await list(query)).sort();

/** The SDK wraps the gRPC error in a ServiceError; its cause carries the server's code and message. */
function grpcCause(err: unknown): { code: number; details: string } {
  const cause = (err as ServiceError).cause as unknown as { code: number; details: string };
  return { code: cause.code, details: cause.details };
}

async function listError(query: string): Promise<{ code: number; details: string }> {
  try {
    await list(query);
  } catch (err) {
    return grpcCause(err);
  }
  throw new Error(`query was accepted: ${query}`);
}

describe('visibility: list filters', () => {
  it('lists every run, open first then newest closed, by default', async () => {
    // Close order depends on which worker finished first, so it is checked against the close times. The SDK's
    // Date keeps milliseconds, the server orders by microseconds: runs that closed in the same millisecond may
    // come in either order.
    const [open, ...closed] = await list('');
    expect(open).toBe('d');
    expect([...closed].sort()).toEqual(['a', 'b', 'c', 'e']);
    const closes = closed.map((name) => times[name].close!.getTime());
    expect(closes).toEqual([...closes].sort((x, y) => y - x));
  });

  it('filters the system fields', async () => {
    expect(await set(`WorkflowId = '${ids.a}'`)).toEqual(['a']);
    expect(await set(`WorkflowId != '${ids.a}'`)).toEqual(['b', 'c', 'd', 'e']);
    expect(await set(`WorkflowId IN ('${ids.b}', '${ids.c}', 'nope')`)).toEqual(['b', 'c']);
    expect(await set(`WorkflowId STARTS_WITH 'wf-vis-d'`)).toEqual(['d']);
    expect(await set(`WorkflowType = 'waitForFinish'`)).toEqual(['d', 'e']);
    expect(await set(`TaskQueue = '${tq.two}'`)).toEqual(['c', 'd']);
    expect(await set(`ExecutionStatus = 'Running'`)).toEqual(['d']);
    expect(await set(`ExecutionStatus IN ('Completed', 'Failed')`)).toEqual(['a', 'b', 'c']);
    expect(await set(`ExecutionStatus != 'Completed'`)).toEqual(['c', 'd', 'e']);
    expect(await set(`ExecutionStatus = 'Terminated'`)).toEqual(['e']);
  });

  it('compares StartTime, CloseTime and ExecutionTime as RFC3339 datetimes', async () => {
    const iso = (d: Date | undefined, deltaMs = 0) => new Date(d!.getTime() + deltaMs).toISOString();
    // Described times are whole milliseconds; the server keeps finer ones, so a run's stored time lies in
    // [t, t + 1 ms): `> t + 1ms` and `<= t + 1ms` cut exactly on both servers.
    const after = (d: Date | undefined) => iso(d, 1);
    expect(await set(`StartTime > '${after(times.b.start)}'`)).toEqual(['c', 'd', 'e']);
    expect(await set(`StartTime >= '${iso(times.b.start)}'`)).toEqual(['b', 'c', 'd', 'e']);
    expect(await set(`StartTime < '${iso(times.b.start)}'`)).toEqual(['a']);
    expect(await set(`StartTime <= '${after(times.b.start)}'`)).toEqual(['a', 'b']);
    expect(await set(`StartTime BETWEEN '${iso(times.b.start)}' AND '${after(times.c.start)}'`)).toEqual(['b', 'c']);
    // a and b run on one worker and may close in either order: the window spans both, the expectation is
    // every run whose close time falls inside it.
    const [from, to] = [times.a.close!, times.b.close!].sort((x, y) => x.getTime() - y.getTime());
    const inWindow = (['a', 'b', 'c', 'e'] as const).filter((k) => times[k].close! >= from! && times[k].close! <= to!);
    expect(await set(`CloseTime BETWEEN '${iso(from)}' AND '${after(to)}'`)).toEqual(inWindow);
    // The SQL store coalesces an open run's CloseTime to the year 9999.
    expect(await set(`CloseTime > '${after(times.e.close)}'`)).toEqual(['d']);
    expect(await set(`CloseTime IS NULL`)).toEqual(['d']);
    expect(await set(`ExecutionTime > '${iso(new Date(), 30 * 60_000)}'`)).toEqual(['d']);
  });

  it('filters custom Keyword, Text, Int, Bool and Datetime attributes', async () => {
    expect(await set(`VisKw = 'red'`)).toEqual(['a']);
    expect(await set(`VisKw != 'red'`)).toEqual(['b', 'c', 'd']);
    expect(await set(`VisKw STARTS_WITH 're'`)).toEqual(['a', 'c']);
    expect(await set(`VisKw BETWEEN 'blue' AND 'green'`)).toEqual(['b', 'd']);
    expect(await set(`VisText = 'payments'`)).toEqual(['a', 'b']);
    expect(await set(`VisText = 'payments-db'`)).toEqual(['b']);
    expect(await set(`VisText != 'service'`)).toEqual(['b', 'c', 'd', 'e']);
    expect(await set(`VisInt > 1`)).toEqual(['b', 'c', 'e']);
    expect(await set(`VisInt >= 5 AND VisInt < 10`)).toEqual(['b', 'e']);
    expect(await set(`VisInt <= 5`)).toEqual(['a', 'b']);
    expect(await set(`VisInt IN (1, 10)`)).toEqual(['a', 'c']);
    expect(await set(`VisInt BETWEEN 5 AND 7`)).toEqual(['b', 'e']);
    expect(await set(`VisBool = true`)).toEqual(['a']);
    expect(await set(`VisBool = false`)).toEqual(['b']);
    expect(await set(`VisTime < '2026-01-01T12:00:00Z'`)).toEqual(['a']);
    expect(await set(`VisTime >= '2026-01-02T01:00:00+01:00'`)).toEqual(['b']);
  });

  it('binds AND tighter than OR; parentheses and NOT regroup', async () => {
    expect(await set(`VisKw = 'red' OR VisKw = 'green' AND VisInt = 10`)).toEqual(['a']);
    expect(await set(`(VisKw = 'red' OR VisKw = 'green') AND VisInt = 5`)).toEqual(['b']);
    expect(await set(`VisInt = 10 OR (TaskQueue = '${tq.one}' AND NOT ExecutionStatus = 'Completed')`)).toEqual([
      'c',
      'e',
    ]);
  });

  itEngineOnly(ORDER_BY, 'orders by StartTime DESC (and ASC)', async () => {
    expect(await list('ORDER BY StartTime DESC')).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(await list(`VisInt > 0 ORDER BY StartTime ASC`)).toEqual(['a', 'b', 'c', 'e']);
    expect(await list(`ORDER BY VisInt DESC`)).toEqual(['c', 'e', 'b', 'a', 'd']);
  });

  it('pages with nextPageToken at a small page size', async () => {
    const pages: string[][] = [];
    let token: Uint8Array | undefined;
    do {
      const res = await h.client.workflowService.listWorkflowExecutions({
        namespace: h.namespace,
        query: '',
        pageSize: 2,
        nextPageToken: token,
      });
      pages.push((res.executions ?? []).map((x) => names.get(x.execution?.workflowId ?? '') ?? '?'));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
    // The server may hand out a token with a full last page; the page after it is then empty.
    const all = await list('');
    expect(pages.filter((p) => p.length > 0)).toEqual([all.slice(0, 2), all.slice(2, 4), all.slice(4)]);
    expect(await list('', 2)).toEqual(all);
  });

  it('scans with paging', async () => {
    const seen: string[] = [];
    let token: Uint8Array | undefined;
    let calls = 0;
    do {
      const res = await h.client.workflowService.scanWorkflowExecutions({
        namespace: h.namespace,
        query: `VisInt >= 1`,
        pageSize: 3,
        nextPageToken: token,
      });
      seen.push(...(res.executions ?? []).map((x) => names.get(x.execution?.workflowId ?? '') ?? '?'));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
      calls++;
    } while (token);
    expect(calls).toBe(2);
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'e']);
  });

  it('counts, with and without GROUP BY ExecutionStatus', async () => {
    expect(await h.client.workflow.count()).toEqual({ count: 5, groups: [] });
    expect((await h.client.workflow.count(`VisInt > 1`)).count).toBe(3);
    const grouped = await h.client.workflow.count(`GROUP BY ExecutionStatus`);
    expect(grouped.count).toBe(5);
    // The SDK decodes every search attribute payload into a list, hence ['Running'].
    expect(grouped.groups).toEqual([
      { count: 1, groupValues: [['Running']] },
      { count: 2, groupValues: [['Completed']] },
      { count: 1, groupValues: [['Failed']] },
      { count: 1, groupValues: [['Terminated']] },
    ]);
    const filtered = await h.client.workflow.count(`TaskQueue = '${tq.one}' GROUP BY ExecutionStatus`);
    expect(filtered.groups.map((g) => [g.groupValues[0], g.count])).toEqual([
      [['Completed'], 2],
      [['Terminated'], 1],
    ]);
  });

  it.each([
    [
      `NoSuchField = 'x'`,
      `invalid query: invalid expression: column name 'NoSuchField' is not a valid search attribute`,
    ],
    [
      `WorkflowId LIKE 'wf-%'`,
      "invalid query: invalid expression: invalid operator 'like' in `WorkflowId like 'wf-%'`",
    ],
    [
      `VisText > 'a'`,
      "invalid query: invalid expression: operator '>' not supported for Text type search attribute in `VisText > 'a'`",
    ],
    [
      `VisBool BETWEEN 0 AND 1`,
      `invalid query: invalid expression: cannot do range condition on search attribute 'VisBool' of type Bool`,
    ],
    [`StartTime > 'yesterday'`, `invalid query: invalid expression: unable to parse datetime 'yesterday'`],
    [`ExecutionStatus = 'Done'`, `invalid query: invalid expression: invalid ExecutionStatus value 'Done'`],
    [`GROUP BY ExecutionStatus`, `invalid query: operation is not supported: 'group by' clause`],
    [`WorkflowId = 'x' LIMIT 1`, `invalid query: operation is not supported: 'limit' clause`],
    [`WorkflowId = 'x' AND`, `invalid query: malformed SQL query: syntax error at position 48`],
    [`WorkflowId IN ()`, `invalid query: malformed SQL query: syntax error at position 44`],
  ])('rejects %s with INVALID_ARGUMENT', async (query, message) => {
    expect(await listError(query)).toEqual({ code: status.INVALID_ARGUMENT, details: message });
  });

  // Deliberate differences (docs/engine-differences.md): the engine sorts like an Elasticsearch-backed server
  // and checks a value against its attribute's type up front.
  for (const [query, message, reason] of [
    [
      `ORDER BY VisText`,
      `invalid query: unable to convert 'order by' column name: unable to sort by field of Text type, use field of type Keyword`,
      ORDER_BY,
    ],
    [
      `ORDER BY Nope DESC`,
      `invalid query: invalid expression: column name 'Nope' is not a valid search attribute`,
      ORDER_BY,
    ],
    [
      `VisInt = 'many'`,
      `invalid query: invalid value for search attribute VisInt of type Int: "many"`,
      'the dev server accepts a value of the wrong type and matches nothing',
    ],
  ] as const) {
    itEngineOnly(reason, `rejects ${query} with INVALID_ARGUMENT`, async () => {
      expect(await listError(query)).toEqual({ code: status.INVALID_ARGUMENT, details: message });
    });
  }

  it('rejects GROUP BY on other fields when counting', async () => {
    const err = await h.client.workflow.count('GROUP BY WorkflowType').catch(grpcCause);
    expect(err).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: `invalid query: operation is not supported: 'group by' clause is only supported for ExecutionStatus search attribute`,
    });
  });

  // Last in the file: it adds runs that the counts above do not expect.
  it('does not repeat a row when a run starts between pages (keyset token, as the SQL store)', async () => {
    const taskQueue = h.taskQueue('vis-paging');
    const startIdle = async (label: string) => {
      const handle = await h.client.workflow.start('waitForFinish', { workflowId: h.workflowId(label), taskQueue });
      await new Promise((resolve) => setTimeout(resolve, 15));
      return handle.workflowId;
    };
    const [first, second] = [await startIdle('page-1'), await startIdle('page-2')];
    const query = `TaskQueue = '${taskQueue}'`;
    const ask = (nextPageToken?: Uint8Array) =>
      h.client.workflowService.listWorkflowExecutions({ namespace: h.namespace, query, pageSize: 1, nextPageToken });
    const page1 = await ask();
    expect(page1.executions?.map((x) => x.execution?.workflowId)).toEqual([second]);
    await startIdle('page-3');
    const page2 = await ask(page1.nextPageToken ?? undefined);
    expect(page2.executions?.map((x) => x.execution?.workflowId)).toEqual([first]);
    // A full page may come with a token (the SQL store does not look ahead); what follows it is empty.
    if (page2.nextPageToken?.length) expect((await ask(page2.nextPageToken)).executions ?? []).toEqual([]);
  });
});
