import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

export interface HttpOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Readiness: every check true means ready; the body lists them either way. */
  readiness(): Record<string, boolean>;
  logger: Logger;
}

export interface HttpServer {
  address: string;
  close(): Promise<void>;
}

/** `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (worker and ingest can work). */
export async function startHttpServer(options: HttpOptions): Promise<HttpServer> {
  const { registry, logger } = options;
  const server = createServer((request, response) => {
    const reply = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'content-type': type }).end(body);
    };
    const route = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    if (route === '/healthz') return reply(200, 'text/plain', 'ok\n');
    if (route === '/readyz') {
      const checks = options.readiness();
      const ready = Object.values(checks).every(Boolean);
      return reply(ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
    }
    if (route === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (error: unknown) => {
          logger.error({ error: String(error) }, 'metrics collection failed');
          reply(500, 'text/plain', 'metrics collection failed\n');
        },
      );
      return undefined;
    }
    return reply(404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  logger.info({ address: where }, 'http endpoints listening: /metrics, /healthz, /readyz');
  return { address: where, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
