/**
 * Temporal: reachable, the namespace there, the search attributes the handler starts carry, a worker polling
 * this host's task queue, and the clock against the server's (a start's server-side time bracketed by the
 * local time around the call; the probe run is terminated at once). Unreachable: every row fails, with the fix.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../config/schema.js';
import { taskQueueOf } from '../../contract/ids.js';
import { advise, fail, messageOf, pass } from './check.js';
import type { CheckRow } from './check.js';

const GROUP = 'temporal';
const NOT_FOUND = 5;
/** The search attributes the ingest registers and every handler start carries (src/ingest/starter.ts). */
const SEARCH_ATTRIBUTES = { WorkerId: 'KEYWORD', Handler: 'KEYWORD', TaskLabel: 'TEXT' } as const;
/** IndexedValueType numbers (temporal/api/enums/v1/common.proto). */
const INDEXED_TYPES: Record<number, string> = {
  1: 'TEXT',
  2: 'KEYWORD',
  3: 'INT',
  4: 'DOUBLE',
  5: 'BOOL',
  6: 'DATETIME',
  7: 'KEYWORD_LIST',
};
const CLOCK_ADVISE_MS = 1_000;
/** Heartbeat ages and health runs compare times written by different hosts. */
const CLOCK_FAIL_MS = 10_000;
const CLOCK_QUEUE = 'supervisor-doctor-clock';

const codeOf = (error: unknown): number | undefined => (error as { code?: number }).code;

async function namespaceRow(connection: Connection, namespace: string): Promise<CheckRow> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return pass(GROUP, 'namespace', `${namespace} exists`);
  } catch (error) {
    if (codeOf(error) === NOT_FOUND)
      return fail(
        GROUP,
        'namespace',
        `${namespace} does not exist`,
        `create it (temporal operator namespace create ${namespace}) or fix temporal.namespace`,
      );
    return fail(
      GROUP,
      'namespace',
      `cannot describe ${namespace}: ${messageOf(error)}`,
      "check the namespace and this client's rights",
    );
  }
}

async function searchAttributesRow(connection: Connection, namespace: string): Promise<CheckRow> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const wanted = Object.entries(SEARCH_ATTRIBUTES);
    const typeOf = (name: string): string | undefined => {
      const type = customAttributes?.[name];
      return type === undefined || type === null ? undefined : (INDEXED_TYPES[type] ?? String(type));
    };
    const wrong = wanted.filter(([name, type]) => typeOf(name) !== undefined && typeOf(name) !== type);
    if (wrong.length > 0)
      return fail(
        GROUP,
        'search attributes',
        wrong.map(([name, type]) => `${name} is ${typeOf(name)}, the supervisor needs ${type}`).join('; '),
        'handler starts carrying it are refused: remove and re-create it with the right type (temporal operator search-attribute)',
      );
    const missing = wanted.filter(([name]) => typeOf(name) === undefined).map(([name]) => name);
    if (missing.length === 0)
      return pass(GROUP, 'search attributes', `${Object.keys(SEARCH_ATTRIBUTES).join(', ')} registered`);
    return advise(
      GROUP,
      'search attributes',
      `not registered yet: ${missing.join(', ')}`,
      'the ingest registers them before its first start; to have them now: temporal operator search-attribute create',
    );
  } catch (error) {
    return advise(
      GROUP,
      'search attributes',
      `cannot list them: ${messageOf(error)}`,
      'on Temporal Cloud check them with tcld',
    );
  }
}

async function pollerRow(connection: Connection, config: Config): Promise<CheckRow> {
  const queue = taskQueueOf(config);
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: queue },
      taskQueueType: 1,
    });
    const who = (pollers ?? []).map((p) => p.identity ?? '?');
    if (who.length > 0) return pass(GROUP, 'worker polling', `${queue}: ${who.join(', ')}`);
    return fail(
      GROUP,
      'worker polling',
      `no worker polls ${queue}: flags are accepted but no handler runs`,
      'start the supervisor on this host (supervisor start, or supervisor worker)',
    );
  } catch (error) {
    return fail(GROUP, 'worker polling', `cannot describe ${queue}: ${messageOf(error)}`, 'check the Temporal server');
  }
}

async function clockRow(client: Client, config: Config): Promise<CheckRow> {
  const workflowId = `doctor-clock/${config.worker_id}`;
  try {
    const before = Date.now();
    const handle = await client.workflow.start('supervisor_doctor_clock', {
      taskQueue: CLOCK_QUEUE,
      workflowId,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
    const after = Date.now();
    const started = (await handle.describe()).startTime.getTime();
    await handle.terminate('doctor clock probe').catch(() => undefined);
    const skew = started < before ? started - before : started > after ? started - after : 0;
    const detail = `server clock ${skew === 0 ? 'within' : `${skew > 0 ? '+' : ''}${skew} ms off`} the local one (round trip ${after - before} ms)`;
    if (Math.abs(skew) > CLOCK_FAIL_MS)
      return fail(
        GROUP,
        'clock skew',
        detail,
        'synchronise the clocks (NTP / w32time) on this host and the Temporal server',
      );
    if (Math.abs(skew) > CLOCK_ADVISE_MS) return advise(GROUP, 'clock skew', detail, 'enable NTP on this host');
    return pass(GROUP, 'clock skew', detail);
  } catch (error) {
    return advise(
      GROUP,
      'clock skew',
      `not measured: ${messageOf(error)}`,
      "the probe starts and terminates a workflow; check this client's rights",
    );
  }
}

export async function temporalChecks(config: Config, address: string): Promise<CheckRow[]> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '3s' });
  } catch (error) {
    const fixes: Record<string, string> = {
      embedded: 'start the supervisor (supervisor start runs the embedded engine) or supervisor devserver',
      'temporal-cli': 'start the supervisor (supervisor start runs temporal server start-dev)',
    };
    const fix = fixes[config.temporal.address] ?? `check temporal.address ${address} and the network`;
    return ['reachable', 'namespace', 'search attributes', 'worker polling'].map((check) =>
      fail(
        GROUP,
        check,
        check === 'reachable' ? `${address}: ${messageOf(error)}` : 'not checked: Temporal unreachable',
        fix,
      ),
    );
  }
  try {
    const { namespace } = config.temporal;
    const client = new Client({ connection, namespace });
    const rows = [pass(GROUP, 'reachable', address), await namespaceRow(connection, namespace)];
    if (rows[1]?.status === 'fail') return rows;
    return [
      ...rows,
      await searchAttributesRow(connection, namespace),
      await pollerRow(connection, config),
      await clockRow(client, config),
    ];
  } finally {
    await connection.close();
  }
}
