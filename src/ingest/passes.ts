/**
 * The ingest's pass scheduler: watch events, the start-up scan, the periodic rescan and retries all
 * just request a pass. One pass runs at a time; a request during a pass runs one more after it, so
 * nothing asked for is missed and nothing runs twice at once.
 */
export interface PassScheduler {
  /** Runs a pass now (or after the running one) and resolves when it, and any pass it caused, has finished. */
  request(): Promise<void>;
  /** Passes again after `delayMs`; one timer, the earliest request wins. */
  later(delayMs: number): void;
  readonly stopped: boolean;
  /** No more passes or timers; the running pass goes on (see settled). */
  halt(): void;
  /** Resolves when the running pass, if any, has finished. */
  settled(): Promise<void>;
}

/**
 * `onError`: a pass threw (a local failure: disk full, permissions); the flags stay where they are.
 * `onTimer`: a `later` is due, just before its pass is requested (a retry must look at everything).
 */
export function passScheduler(
  pass: () => Promise<void>,
  onError: (error: unknown) => void,
  onTimer: () => void = () => undefined,
): PassScheduler {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const request = (): Promise<void> => {
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
          onError(error);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const later = (delayMs: number): void => {
    const at = Date.now() + delayMs;
    if (stopped || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      onTimer();
      void request();
    }, delayMs);
  };

  return {
    request,
    later,
    get stopped() {
      return stopped;
    },
    halt() {
      stopped = true;
      clearTimeout(timer);
    },
    settled: async () => {
      await running;
    },
  };
}
