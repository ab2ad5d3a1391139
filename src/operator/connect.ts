/** One Temporal client for an operator's command, with a plain error when the server does not answer. */
import { Client, Connection } from '@temporalio/client';

export class TemporalNotReachable extends Error {
  constructor(address: string, cause: unknown) {
    super(
      `cannot reach Temporal at ${address} (is the supervisor running? --address names another server): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
    this.name = 'TemporalNotReachable';
  }
}

export async function connectClient(
  address: string,
  namespace: string,
): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '3s' });
  } catch (error) {
    throw new TemporalNotReachable(address, error);
  }
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}
