/** Loaded lazily by the commands that talk to Temporal: a client, or the operator's error saying why not. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { TemporalNotReachable, connectClient } from '../operator/connect.js';
import { CliError, EXIT_FAILURE, temporalAddress } from './common.js';

export async function clientFor(
  config: Config,
  address: string | undefined,
): Promise<{ client: Client; close: () => Promise<void> }> {
  try {
    return await connectClient(temporalAddress(config, address), config.temporal.namespace);
  } catch (error) {
    if (error instanceof TemporalNotReachable) throw new CliError(error.message, EXIT_FAILURE);
    throw error;
  }
}
