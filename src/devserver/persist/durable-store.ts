/**
 * The engine's durable store: every change to a run, a namespace or a schedule is appended to a record log,
 * and `commit()` returns once everything changed so far is on disk. The gRPC layer awaits it before any
 * response, so whatever a client saw acknowledged survives `kill -9`. Concurrent commits share one fsync
 * (group commit): while one write is in flight, every caller that arrives waits for the single next one.
 */
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { RunStoreListener } from '../state/store.js';
import type { RecordLog } from './record-log.js';
import type { LogRecord } from './codec.js';
import { encodeRecord, runRecord } from './codec.js';

export interface DurableStoreOptions {
  /** Compact once the log is this large and twice its size after the last compaction. */
  compactAfterBytes: number;
}

/** How long a change nobody waits for (a timer firing) may sit before it is written anyway. */
const BACKGROUND_COMMIT_MS = 20;

export class DurableStore implements RunStoreListener {
  /** Events of each run already in the log. */
  private readonly written = new Map<string, number>();
  private readonly dirty = new Set<Run>();
  private readonly dropped: string[] = [];
  private readonly schedules = new Map<string, { ns: string; id: string; rec: unknown }>();
  private lastNamespaces: Buffer = Buffer.alloc(0);
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private background: NodeJS.Timeout | null = null;
  private compactedSize: number;
  private closed = false;
  private failed: Error | null = null;

  constructor(
    private readonly log: RecordLog,
    private readonly engine: Engine,
    private readonly options: DurableStoreOptions,
  ) {
    this.compactedSize = log.size;
  }

  /** A restored run: its events are already in the log. */
  markWritten(run: Run): void {
    this.written.set(run.runId, run.events.length);
  }

  /** The namespaces as restored (nothing to write until they change). */
  markNamespacesWritten(): void {
    this.lastNamespaces = this.namespacesRecord();
  }

  touched(run: Run): void {
    if (this.closed) return;
    this.dirty.add(run);
    this.soon();
  }

  deleted(run: Run): void {
    if (this.closed) return;
    this.dirty.delete(run);
    if (this.written.delete(run.runId)) this.dropped.push(run.runId);
    this.soon();
  }

  scheduleChanged(ns: string, id: string, rec: unknown): void {
    if (this.closed) return;
    this.schedules.set(`${ns}\u0000${id}`, { ns, id, rec });
    this.soon();
  }

  /** Resolves once every change made before the call is durable. */
  commit(): Promise<void> {
    if (this.running) {
      this.next ??= this.running.then(
        () => this.start(),
        () => this.start(),
      );
      return this.next;
    }
    if (this.failed) return Promise.reject(this.failed);
    if (!this.hasWork()) return Promise.resolve();
    return this.start();
  }

  async close(): Promise<void> {
    if (this.background) clearTimeout(this.background);
    try {
      await this.commit();
    } finally {
      this.closed = true;
      await this.log.close();
    }
  }

  private soon(): void {
    if (this.background || this.closed) return;
    this.background = setTimeout(() => {
      this.background = null;
      this.commit().catch(() => {}); // logged by write(); an RPC's own commit reports it to the client
    }, BACKGROUND_COMMIT_MS);
    this.background.unref();
  }

  private hasWork(): boolean {
    return (
      this.dirty.size > 0 ||
      this.dropped.length > 0 ||
      this.schedules.size > 0 ||
      !this.namespacesRecord().equals(this.lastNamespaces)
    );
  }

  private start(): Promise<void> {
    this.next = null;
    const payloads = this.collect();
    const p = this.write(payloads);
    this.running = p;
    const clear = (): void => {
      if (this.running === p) this.running = null;
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * A failed write leaves the file and the bookkeeping of what it holds out of step, so from then on every
   * commit fails (an acknowledged RPC would otherwise not be durable); restarting recovers from the file.
   */
  private async write(payloads: Buffer[]): Promise<void> {
    if (this.failed) throw this.failed;
    try {
      await this.log.append(payloads);
      if (this.log.size > this.options.compactAfterBytes && this.log.size > 2 * this.compactedSize)
        await this.compact();
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
      this.engine.logger.error(
        { err },
        'devserver database write failed; nothing more can be acknowledged until a restart',
      );
      throw err;
    }
  }

  private namespacesRecord(): Buffer {
    return encodeRecord({ t: 'ns', namespaces: this.engine.namespaces.snapshot() });
  }

  /** Takes the pending changes (synchronously, so they are one consistent cut) as log payloads. */
  private collect(): Buffer[] {
    const out: Buffer[] = [];
    const ns = this.namespacesRecord();
    if (!ns.equals(this.lastNamespaces)) {
      out.push(ns);
      this.lastNamespaces = ns;
    }
    for (const run of this.dirty) {
      const from = this.written.get(run.runId) ?? 0;
      out.push(encodeRecord(runRecord(run, from)));
      this.written.set(run.runId, run.events.length);
    }
    this.dirty.clear();
    for (const rid of this.dropped) out.push(encodeRecord({ t: 'drop', rid }));
    this.dropped.length = 0;
    for (const s of this.schedules.values()) out.push(encodeRecord({ t: 'sched', ...s }));
    this.schedules.clear();
    return out;
  }

  /**
   * Rewrites the log as a snapshot of the live state: every run still in the store (closed runs past their
   * retention are gone from it), the namespaces and the schedules.
   */
  private async compact(): Promise<void> {
    const records: LogRecord[] = [];
    this.written.clear();
    for (const run of this.engine.store.allRuns()) {
      records.push(runRecord(run, 0));
      this.written.set(run.runId, run.events.length);
    }
    this.dirty.clear();
    this.dropped.length = 0;
    this.schedules.clear();
    for (const rec of this.scheduleSnapshot()) records.push({ t: 'sched', ns: rec.namespace, id: rec.scheduleId, rec });
    const ns = this.namespacesRecord();
    this.lastNamespaces = ns;
    await this.log.rewrite([ns, ...records.map(encodeRecord)]);
    this.compactedSize = this.log.size;
    this.engine.logger.debug({ bytes: this.log.size, runs: this.written.size }, 'devserver database compacted');
  }

  /** Set by the opener: the scheduler's records (kept out of the constructor to avoid an import cycle). */
  scheduleSnapshot: () => { namespace: string; scheduleId: string }[] = () => [];
}
