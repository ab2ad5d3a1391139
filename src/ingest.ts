/**
 * The ingest: inbox → workflow starts (SPEC "Flag files"). Watch events, the start-up scan and the periodic
 * rescan all just request a pass (ingest/passes.ts); a pass lists the inbox, orders what waits by priority
 * and hands it to the worker lanes (ingest/lanes.ts), which start each worker's flags one by one in that
 * order, so the order holds however the events arrived. Temporal outages are ingest/backoff.ts.
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
import { drainedWorkers, groupByWorker, listWaiting } from './ingest/scan.js';
import type { Listing, StabilityTracker, Waiting } from './ingest/scan.js';
import { InboxView } from './ingest/inbox-view.js';
import { workerLanes } from './ingest/lanes.js';
import { temporalBackoff } from './ingest/backoff.js';
import { passScheduler } from './ingest/passes.js';
import { watchInbox } from './ingest/watch.js';
import { eventsFileOf } from './nas/paths.js';
import { appendEventLines, eventLine } from './observability/events.js';
import type { Logger } from './observability/logger.js';
import { groupWrite } from './ingest/group-sync.js';

import type { Receipt } from './ingest/outputs.js';

export type { Receipt } from './ingest/outputs.js';
export { HANDLER_KEY, TASK_LABEL_KEY, WORKER_ID_KEY } from './ingest/starter.js';

export interface IngestOptions {
  config: Config;
  logger: Logger;
  client: Client;
  /** Workers whose flags this ingest starts; default the configured worker_id. */
  workerIds?: readonly string[];
  /** Told of every flag accepted (its workflow started): `run-once` waits for them. */
  onAccepted?: (receipt: Receipt) => void;
}

export interface IngestStatus {
  mode: 'native' | 'polling';
  temporal: 'ok' | 'failing';
  draining: string[];
}

export interface Ingest {
  status(): IngestStatus;
  /** Runs a pass now and resolves when it, and the handling of every flag it found, has finished. For tests. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** How soon a flag that could not be read for now (still being written, replaced) is looked at again. */
const RETRY_LATER_MS = 1_000;
/**
 * Workers whose flags are handled side by side, so at most this many starts are in flight (an ingest
 * serving one worker: no effect). A few dozen: on 2 cores, 1,000 flags for 125 workers went ~20 % faster
 * with 32 than with 8 (the finishings of more workers share their writes) and more only queue on the
 * event loop and the file system's 4 threads; a real cluster's frontend takes far more (bench/ingest.ts).
 */
const PARALLEL_WORKERS = 32;

export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const { config, client } = options;
  const logger = options.logger.child({ component: 'ingest' });
  const workerIds = options.workerIds ?? [config.worker_id];
  const { inbox, outbox, state } = config.paths;
  await Promise.all([inbox, outbox, state].map((folder) => mkdir(folder, { recursive: true })));
  const ledgers = new Map<string, Ledger>();
  for (const id of workerIds) ledgers.set(id, await Ledger.open(state, id));
  const eventsFile = eventsFileOf(config.paths);
  // Events of flags finishing side by side go out in one write.
  const writeEvents = groupWrite((lines) => appendEventLines(eventsFile, lines));
  const ctx: ProcessContext = {
    client,
    inbox,
    outbox,
    parseOptions: flagParseOptions(config, workerIds),
    ledgers,
    taskQueueOf: (workerId) => taskQueueOf({ temporal: config.temporal, worker_id: workerId }),
    logger,
    event: (event) => writeEvents(eventLine(event)),
    onAccepted: options.onAccepted,
  };

  let draining: string[] = [];
  const stability: StabilityTracker = new Map();
  const view = new InboxView(inbox, workerIds);
  const notes = new InboxNotes(logger);
  const passes = passScheduler(
    () => pass(),
    (error) => {
      // A local failure (disk full, permissions): the flag stays; say so and look again after a while.
      logger.error({ error: error instanceof Error ? error.message : String(error) }, 'ingest pass failed; retrying');
      passes.later(config.ingest.poll_interval);
    },
    () => view.lookAgain(),
  );
  const { later } = passes;
  const temporal = temporalBackoff(client, logger, later);

  const pass = async (): Promise<void> => {
    const drained = await drainedWorkers(state, workerIds);
    const drainChanged = drained.join() !== draining.join();
    if (drainChanged) {
      for (const id of drained.filter((d) => !draining.includes(d)))
        logger.warn({ worker_id: id }, 'draining: new flags stay in the inbox until the drain flag is removed');
      for (const id of draining.filter((d) => !drained.includes(d)))
        logger.info({ worker_id: id }, 'drain lifted; taking flags again');
      draining = drained;
    }
    let listing: Listing | undefined;
    if (watcher.mode() === 'polling') {
      const options = { served: workerIds, stability, pollInterval: config.ingest.poll_interval, skip: lanes.taken };
      listing = await listWaiting(inbox, options);
      if (listing.unsettled) later(config.ingest.poll_interval);
    } else {
      // A drain put or lifted changes what is ready without any inbox event.
      if (drainChanged) view.lookAgain();
      listing = await view.update(lanes.taken);
      if (listing === undefined) return;
    }
    notes.foreign(listing.foreign);
    const waiting = notes.unsettled(listing.flags);
    const ready = waiting.filter((w) => !drained.includes(w.workerId));
    if (ready.length < waiting.length) later(config.ingest.poll_interval);
    if (ready.length > 0 && !(await temporal.ensureRegistered())) return;
    lanes.offer(groupByWorker(ready));
  };

  const failedLocally = (waiting: Waiting, error: unknown): void => {
    // A local failure with this one flag (disk full, permissions): it stays, the others go on.
    notes.failed(waiting, error);
    later(config.ingest.poll_interval);
  };
  const lookAgainNow = (): void => {
    view.lookAgain();
    void passes.request();
  };
  const lanes = workerLanes(
    PARALLEL_WORKERS,
    async (waiting) => {
      let result;
      try {
        result = await processFlag(ctx, waiting);
      } catch (error) {
        failedLocally(waiting, error);
        return {};
      }
      if (result.kind === 'temporal') {
        // The first refusal stops the lanes and starts the backoff; the others were in flight with it.
        if (!lanes.blocked()) temporal.failed(result.error, `start ${waiting.name}`);
        lanes.block();
      } else if (result.kind === 'later') later(RETRY_LATER_MS);
      else if (result.kind === 'leave') notes.leave(waiting);
      else {
        if (result.temporal) temporal.ok();
        const { finish } = result;
        if (finish !== undefined)
          return {
            finish: () =>
              finish().then(
                () => view.forget(waiting),
                (error: unknown) => failedLocally(waiting, error),
              ),
          };
      }
      return {};
    },
    lookAgainNow,
  );

  const watcher = watchInbox({
    inbox,
    polling: config.ingest.polling,
    pollInterval: config.ingest.poll_interval,
    logger,
    onChange: (name) => {
      view.touched(name);
      void passes.request();
    },
  });
  const rescan = setInterval(lookAgainNow, config.ingest.rescan_interval);
  logger.info(
    { inbox, worker_ids: workerIds, mode: watcher.mode(), rescan_ms: config.ingest.rescan_interval },
    'ingest watching the inbox',
  );
  // The start-up scan: flags dropped while the ingest was down.
  void passes.request();

  return {
    status: () => ({ mode: watcher.mode(), temporal: temporal.status(), draining: [...draining] }),
    async idle() {
      view.lookAgain();
      await passes.request();
      await lanes.idle();
    },
    async stop() {
      passes.halt();
      lanes.halt();
      clearInterval(rescan);
      await watcher.close();
      await passes.settled();
      await lanes.idle();
      for (const ledger of ledgers.values()) await ledger.close();
      logger.info({}, 'ingest stopped');
    },
  };
}
