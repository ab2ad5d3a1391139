import type { Config } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { startRuntime, TemporalUnreachable } from '../../runtime.js';
import type { SupervisorRuntime } from '../../runtime.js';
import { CliError } from '../common.js';

/** The runtime of this host (`start`, `worker`); an unreachable Temporal is the operator's to fix, said as such. */
export async function runtimeFor(config: Config, logger: Logger, address: string): Promise<SupervisorRuntime> {
  try {
    return await startRuntime({ config, logger, address });
  } catch (error) {
    if (error instanceof TemporalUnreachable) throw new CliError(error.message);
    throw error;
  }
}
