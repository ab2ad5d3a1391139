/** The handlers' half of the keep-alive: an operator's resume or restart clears its budget and `failed`. */
import { getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import { keepAliveWorkflowId } from '../../contract/ids.js';
import { keepAliveResetSignal } from '../../contract/supervision.js';

/**
 * Signals `keepalive/<workerId>` to forget its restart budget and backoff. A missing keep-alive is
 * fine (not started yet): the signal is best effort. Patched: handler runs started before this code
 * replay without the signal.
 */
export async function resetKeepAlive(workerId: string, reason: string): Promise<boolean> {
  if (!patched('keepalive-reset')) return false;
  try {
    await getExternalWorkflowHandle(keepAliveWorkflowId(workerId)).signal(keepAliveResetSignal, { reason });
    return true;
  } catch (error) {
    log.info('keep-alive not reset (not running?)', { error: String(error) });
    return false;
  }
}
