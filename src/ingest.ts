/**
 * The ingest: inbox → workflow starts (SPEC "Flag files"). Watch events, the start-up scan and the periodic
 * rescan all just request a pass; a pass lists the inbox, orders what waits by priority and handles the
 * flags one by one, so the order holds however the events arrived.
 */
import { mkdir } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Config } from './config/schema.js';
import { taskQueueOf } from './contract/ids.js';
import { flagParseOptions } from './flags/index.js';
import { Ledger } from './ingest/ledger.js';
import { processFlag } from './ingest/process.js';
import type { ProcessContext } from './ingest/process.js';
import { InboxNotes } from './ingest/notes.js';
import { drainedWorkers, eachLimited, groupByWorker, listWaiting } from './ingest/scan.js';
import type { StabilityTracker } from './ingest/scan.js';
import { isUnreachable, registerSearchAttributes } from './ingest/starter.js';
import { watchInbox } from './ingest/watch.js';
import { eventsFileOf } from './nas/paths.js';
import type { Logger } from './observability/logger.js';

export type { Receipt } from './ingest/outputs.js';
export { HANDLER_KEY, TASK_LABEL_KEY, WORKER_ID_KEY } from './ingest/starter.js';

export interface IngestOptions {
  config: Config;
  logger: Logger;
  client: Client;
  /** Workers whose flags this ingest starts; default the configured worker_id. */
  workerIds?: readonly string[];
}

export interface IngestStatus {
  mode: 'native' | 'polling';
  temporal: 'ok' | 'failing';
  draining: string[];
}

export interface Ingest {
  status(): IngestStatus;
  /** Runs a pass now and resolves when it (and any pass it caused) has finished. For tests and shutdown. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** How soon a flag that could not be read for now (still being written, replaced) is looked at again. */
const RETRY_LATER_MS = 1_000;
/** Workers whose flags are handled side by side in one pass (an ingest serving one worker: no effect). */
const PARALLEL_WORKERS = 8;

export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const { config, client } = options;
  const logger = options.logger.child({ component: 'ingest' });
  const workerIds = options.workerIds ?? [config.worker_id];
  const { inbox, outbox, state } = config.paths;
  await Promise.all([inbox, outbox, state].map((folder) => mkdir(folder, { recursive: true })));
  const ledgers = new Map<string, Ledger>();
  for (const id of workerIds) ledgers.set(id, await Ledger.open(state, id));
  const ctx: ProcessContext = {
    client,
    inbox,
    outbox,
    parseOptions: flagParseOptions(config, workerIds),
    ledgers,
    taskQueueOf: (workerId) => taskQueueOf({ temporal: config.temporal, worker_id: workerId }),
    logger,
    events: eventsFileOf(config.paths),
  };

  let stopped = false;
  let temporal: IngestStatus['temporal'] = 'ok';
  let registered = false;
  let backoff = BACKOFF_INITIAL_MS;
  let draining: string[] = [];
  const stability: StabilityTracker = new Map();
  const notes = new InboxNotes(logger);

  // One timer for "pass again later": the earliest request wins.
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  const later = (delayMs: number): void => {
    const at = Date.now() + delayMs;
    if (stopped || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      void requestPass();
    }, delayMs);
  };

  const temporalFailed = (error: unknown, what: string): void => {
    if (temporal === 'ok') {
      temporal = 'failing';
      const reason = isUnreachable(error) ? 'unreachable' : 'refusing';
      logger.error({ error: error instanceof Error ? error.message : String(error), reason, what }, 'Temporal cannot take starts; flags stay in the inbox and are retried with backoff');
    }
    later(backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  };
  const temporalOk = (): void => {
    backoff = BACKOFF_INITIAL_MS;
    if (temporal === 'failing') logger.info({}, 'Temporal takes starts again; resuming');
    temporal = 'ok';
  };

  const ensureRegistered = async (): Promise<boolean> => {
    if (registered) return true;
    try {
      const result = await registerSearchAttributes(client);
      if (!result.ok) {
        const error = result.error instanceof Error ? result.error.message : String(result.error);
        logger.warn({ error }, 'could not register search attributes WorkerId, Handler, TaskLabel; starting anyway (register them on the cluster if starts are refused)');
      }
      registered = true;
      return true;
    } catch (error) {
      temporalFailed(error, 'register search attributes');
      return false;
    }
  };

  const pass = async (): Promise<void> => {
    const drained = await drainedWorkers(state, workerIds);
    if (drained.join() !== draining.join()) {
      for (const id of drained.filter((d) => !draining.includes(d))) logger.warn({ worker_id: id }, 'draining: new flags stay in the inbox until the drain flag is removed');
      for (const id of draining.filter((d) => !drained.includes(d))) logger.info({ worker_id: id }, 'drain lifted; taking flags again');
      draining = drained;
    }
    const mode = watcher.mode();
    const listing = await listWaiting(inbox, { served: workerIds, stability: mode === 'polling' ? stability : undefined, pollInterval: config.ingest.poll_interval });
    if (listing.unsettled) later(config.ingest.poll_interval);
    notes.foreign(listing.foreign);
    const waiting = notes.unsettled(listing.flags);
    const ready = waiting.filter((w) => !drained.includes(w.workerId));
    if (ready.length < waiting.length) later(config.ingest.poll_interval);
    if (ready.length === 0 || !(await ensureRegistered())) return;
    // Priority is per worker (SPEC): one worker's flags go one at a time in order, workers side by side.
    let failure: { error: unknown; what: string } | undefined;
    await eachLimited(groupByWorker(ready), PARALLEL_WORKERS, async (flags) => {
      for (const waiting of flags) {
        if (stopped || failure !== undefined) return;
        let result;
        try {
          result = await processFlag(ctx, waiting);
        } catch (error) {
          // A local failure with this one flag (disk full, permissions): it stays, the others go on.
          notes.failed(waiting, error);
          later(config.ingest.poll_interval);
          continue;
        }
        if (result.kind === 'temporal') failure ??= { error: result.error, what: `start ${waiting.name}` };
        else if (result.kind === 'later') later(RETRY_LATER_MS);
        else if (result.kind === 'leave') notes.leave(waiting);
        else if (result.temporal) temporalOk();
      }
    });
    if (failure !== undefined) temporalFailed(failure.error, failure.what);
  };

  let running: Promise<void> | undefined;
  let again = false;
  const requestPass = (): Promise<void> => {
    if (stopped) return running ?? Promise.resolve();
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (error) {
          // A local failure (disk full, permissions): the flag stays; say so and look again after a while.
          logger.error({ error: error instanceof Error ? error.message : String(error) }, 'ingest pass failed; retrying');
          later(config.ingest.poll_interval);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const watcher = watchInbox({ inbox, polling: config.ingest.polling, pollInterval: config.ingest.poll_interval, logger, onChange: () => void requestPass() });
  const rescan = setInterval(() => void requestPass(), config.ingest.rescan_interval);
  logger.info({ inbox, worker_ids: workerIds, mode: watcher.mode(), rescan_ms: config.ingest.rescan_interval }, 'ingest watching the inbox');
  // The start-up scan: flags dropped while the ingest was down.
  void requestPass();

  return {
    status: () => ({ mode: watcher.mode(), temporal, draining: [...draining] }),
    idle: () => requestPass(),
    async stop() {
      stopped = true;
      clearInterval(rescan);
      clearTimeout(timer);
      await watcher.close();
      await running;
      for (const ledger of ledgers.values()) await ledger.close();
      logger.info({}, 'ingest stopped');
    },
  };
}
