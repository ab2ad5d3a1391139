/**
 * How the ingest treats Temporal: while starts fail, the flags stay in the inbox and passes are retried
 * with exponential backoff; the first success resets it. Also the one-time search attribute registration.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../observability/logger.js';
import { isUnreachable, registerSearchAttributes } from './starter.js';

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export interface TemporalBackoff {
  status(): 'ok' | 'failing';
  /** A start (or the registration) failed: say so once, and pass again after the backoff. */
  failed(error: unknown, what: string): void;
  /** A start went through: the backoff starts over. */
  ok(): void;
  /** Registers WorkerId, Handler and TaskLabel once; false when Temporal failed (the backoff is running). */
  ensureRegistered(): Promise<boolean>;
}

export function temporalBackoff(client: Client, logger: Logger, later: (delayMs: number) => void): TemporalBackoff {
  let temporal: 'ok' | 'failing' = 'ok';
  let registered = false;
  let backoff = BACKOFF_INITIAL_MS;

  const failed = (error: unknown, what: string): void => {
    if (temporal === 'ok') {
      temporal = 'failing';
      const reason = isUnreachable(error) ? 'unreachable' : 'refusing';
      logger.error(
        { error: error instanceof Error ? error.message : String(error), reason, what },
        'Temporal cannot take starts; flags stay in the inbox and are retried with backoff',
      );
    }
    later(backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  };
  const ok = (): void => {
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
        logger.warn(
          { error },
          'could not register search attributes WorkerId, Handler, TaskLabel; starting anyway (register them on the cluster if starts are refused)',
        );
      }
      registered = true;
      return true;
    } catch (error) {
      failed(error, 'register search attributes');
      return false;
    }
  };

  return { status: () => temporal, failed, ok, ensureRegistered };
}
