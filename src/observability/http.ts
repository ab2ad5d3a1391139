import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  /**
   * More routes (the web panel), tried before the built-in ones: true when it answered the request. The
   * only way a method other than GET/HEAD is served.
   */
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
}

const pathOf = (request: IncomingMessage): string => (request.url ?? '/').split('?')[0] ?? '/';

export interface HttpServer {
  address: string;
  close(): Promise<void>;
}

/**
 * `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (worker and ingest can work),
 * and whatever `routes` answers.
 */
export async function startHttpServer(options: HttpOptions): Promise<HttpServer> {
  const { registry, logger } = options;
  const reply = (response: ServerResponse, status: number, type: string, body: string): void => {
    if (!response.headersSent) response.writeHead(status, { 'content-type': type });
    response.end(body);
  };
  const builtIn = (request: IncomingMessage, response: ServerResponse): void => {
    const route = pathOf(request);
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply(response, 405, 'text/plain', 'method not allowed\n');
    if (route === '/healthz') return reply(response, 200, 'text/plain', 'ok\n');
    if (route === '/readyz') {
      const checks = options.readiness();
      const ready = Object.values(checks).every(Boolean);
      return reply(response, ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
    }
    if (route === '/metrics') {
      registry.metrics().then(
        (text) => reply(response, 200, registry.contentType, text),
        (error: unknown) => {
          logger.error({ error: String(error) }, 'metrics collection failed');
          reply(response, 500, 'text/plain', 'metrics collection failed\n');
        },
      );
      return undefined;
    }
    return reply(response, 404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
  };
  const server = createServer((request, response) => {
    if (options.routes === undefined) return builtIn(request, response);
    Promise.resolve()
      .then(() => options.routes?.(request, response))
      .then(
        (answered) => {
          if (answered !== true) builtIn(request, response);
        },
        // The message only: a route's error may carry request details, and a stack trace is nobody's business.
        (error: unknown) => {
          logger.error(
            { error: error instanceof Error ? error.message : String(error), route: pathOf(request) },
            'http route failed',
          );
          reply(response, 500, 'text/plain', 'internal error\n');
        },
      );
    return undefined;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  logger.info({ address: where }, 'http endpoints listening: /metrics, /healthz, /readyz');
  // Idle keep-alive connections (a browser on the panel, a scraper) would hold close() for their timeout.
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  return { address: where, close };
}
