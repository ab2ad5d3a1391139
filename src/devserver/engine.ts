/** The engine's shared services, plus a few entry points other modules reach through it to avoid cycles. */
import { Matching } from './matching.js';
import { RunStore } from './store.js';
import { Timers } from './timers.js';
import type { Namespaces } from './namespaces.js';
import type { Run } from './run.js';
import type { IPayloads } from './proto.js';
import { requestCancelRun, terminateRun } from './control.js';

export interface DevServerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EngineConfig {
  /** How long an empty long poll waits; the real server uses about a minute. */
  longPollMs: number;
  /** How long a query waits for a worker before DEADLINE_EXCEEDED. */
  queryTimeoutMs: number;
}

export class Engine {
  readonly store = new RunStore();
  readonly matching = new Matching();
  readonly timers = new Timers((key, err) => this.logger.error({ timer: key, err }, 'devserver timer failed'));
  stopped = false;

  constructor(
    readonly namespaces: Namespaces,
    readonly logger: DevServerLogger,
    readonly config: EngineConfig,
  ) {}

  terminate(run: Run, reason: string, identity: string, details?: IPayloads | null): void {
    terminateRun(this, run, reason, identity, details);
  }

  requestCancel(run: Run, reason: string, identity: string, external?: { initiatedId: number; execution: { workflowId: string; runId: string } }): void {
    requestCancelRun(this, run, reason, identity, '', external);
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearAll();
    this.matching.releaseAll();
  }
}
