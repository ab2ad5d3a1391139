import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeepAliveState } from '../contract/supervision.js';
import { KEEPALIVE_STATES } from '../contract/supervision.js';

/** What the supervisor process can tell about itself when scraped; each source is read at scrape time. */
export interface MetricSources {
  workerRunning(): boolean;
  ingestTemporalOk(): boolean;
  draining(): number;
  /** The keep-alive's state, or null when it cannot be asked (not started, no worker answering). */
  keepAlive(): Promise<KeepAliveState | null>;
}

/** Prometheus metrics of one supervisor process: Node's defaults plus the worker, ingest and keep-alive. */
export function createMetrics(workerId: string, sources: MetricSources): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ worker_id: workerId });
  collectDefaultMetrics({ register: registry, prefix: 'supervisor_' });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('supervisor_worker_running', '1 while the Temporal worker of this host runs', () =>
    Number(sources.workerRunning()),
  );
  gauge('supervisor_ingest_temporal_ok', "1 while Temporal takes the ingest's starts", () =>
    Number(sources.ingestTemporalOk()),
  );
  gauge('supervisor_ingest_draining', 'workers whose inbox is drained', () => sources.draining());

  // The gauges below share one state query per scrape (they are collected concurrently).
  let asked: { at: number; answer: Promise<KeepAliveState | null> } | undefined;
  const keepAlive = (): Promise<KeepAliveState | null> => {
    if (asked === undefined || Date.now() - asked.at > 1_000) asked = { at: Date.now(), answer: sources.keepAlive() };
    return asked.answer;
  };
  const fromKeepAlive = (name: string, help: string, read: (current: KeepAliveState | null) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(read(await keepAlive()));
      },
    });
  };
  fromKeepAlive('supervisor_keepalive_up', '1 when the keep-alive answered its state query', (current) =>
    Number(current !== null),
  );
  fromKeepAlive(
    'supervisor_watcher_restarts_in_window',
    'automatic restarts in the current budget window',
    (current) => current?.restartsInWindow ?? 0,
  );
  fromKeepAlive(
    'supervisor_watcher_restarts_total',
    'automatic restarts since the keep-alive began',
    (current) => current?.totalRestarts ?? 0,
  );
  new Gauge({
    name: 'supervisor_watcher_state',
    help: "the keep-alive's view of the watcher: 1 for its current state",
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const current = await keepAlive();
      for (const name of KEEPALIVE_STATES) this.set({ state: name }, current?.state === name ? 1 : 0);
    },
  });
  return registry;
}
