/**
 * Opening a database: replay the log into namespaces, runs and schedules, rebuild every run through the
 * recovery path (queues, timers, retries and timeouts re-armed from the recorded times), then let the
 * durable store hear about every later change.
 */
import type { Engine } from '../state/engine.js';
import { rederive, restoreRun } from '../core/recovery.js';
import type { NamespaceSnapshot } from '../state/namespaces.js';
import { schedulerOf } from '../schedules/rpc.js';
import type { Scheduler } from '../schedules/scheduler.js';
import { RecordLog } from './record-log.js';
import { decodeRecord, runSnapshot } from './codec.js';
import type { RunRecord } from './codec.js';
import { DurableStore } from './durable-store.js';
import type { DurableStoreOptions } from './durable-store.js';

interface Replayed {
  namespaces: NamespaceSnapshot[] | null;
  /** In creation order, so runs of one workflow id are restored oldest first. */
  runs: Map<string, { last: RunRecord; events: Uint8Array[] }>;
  schedules: Map<string, unknown>;
}

export function replay(records: Buffer[]): Replayed {
  const out: Replayed = { namespaces: null, runs: new Map(), schedules: new Map() };
  for (const buf of records) {
    const r = decodeRecord(buf);
    if (r.t === 'ns') out.namespaces = r.namespaces;
    else if (r.t === 'drop') out.runs.delete(r.rid);
    else if (r.t === 'sched') {
      const key = `${r.ns}\u0000${r.id}`;
      if (r.rec === null) out.schedules.delete(key);
      else out.schedules.set(key, r.rec);
    } else {
      const cur = out.runs.get(r.rid);
      const events = cur?.events ?? [];
      events.length = Math.min(events.length, r.from);
      events.push(...r.events);
      out.runs.set(r.rid, { last: r, events });
    }
  }
  return out;
}

export async function openDurableStore(
  engine: Engine,
  file: string,
  options: DurableStoreOptions,
): Promise<DurableStore> {
  const { log, records, truncatedBytes } = await RecordLog.open(file);
  if (truncatedBytes > 0) engine.logger.warn({ file, truncatedBytes }, 'devserver database: torn last write cut off');
  let state: Replayed;
  try {
    state = replay(records);
  } catch (err) {
    await log.close();
    throw err;
  }
  const store = new DurableStore(log, engine, options);
  if (state.namespaces) {
    engine.namespaces.restore(state.namespaces);
    store.markNamespacesWritten();
  }
  const runs = [...state.runs.values()].map(({ last, events }) => restoreRun(engine, runSnapshot(last, events)));
  for (const run of runs) store.markWritten(run);
  // From here on every change is written: recovery itself adds events (a started workflow task times out).
  engine.store.listen(store);
  for (const run of runs) rederive(engine, run);
  const scheduler = schedulerOf(engine);
  scheduler.onChange = (ns, id, rec) => store.scheduleChanged(ns, id, rec);
  store.scheduleSnapshot = () => scheduler.snapshot();
  scheduler.restore([...state.schedules.values()] as Parameters<Scheduler['restore']>[0]);
  engine.logger.info(
    { file, runs: runs.length, schedules: state.schedules.size, bytes: log.size },
    'devserver database opened',
  );
  return store;
}
