/**
 * The engine's shared state and services. It imports no transition module: every transition takes the engine
 * as an argument, so this sits below them all and the import graph stays acyclic.
 */
import { Matching } from './matching.js';
import { RunStore } from './store.js';
import { Timers } from './timers.js';
import type { Namespaces } from './namespaces.js';

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

  stop(): void {
    this.stopped = true;
    this.timers.clearAll();
    this.matching.releaseAll();
  }
}
