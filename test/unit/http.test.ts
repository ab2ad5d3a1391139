import { afterEach, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.js';
import { startHttpServer } from '../../src/observability/http.js';
import type { HttpServer } from '../../src/observability/http.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { KeepAliveState } from '../../src/contract/supervision.js';

const { logger } = createLogger({ level: 'fatal', console: { write: () => true } });

describe('http endpoints', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(ready: Record<string, boolean>, keepAlive: KeepAliveState | null): Promise<string> {
    let asked = 0;
    const registry = createMetrics('OrionMX', {
      workerRunning: () => ready.worker ?? false,
      ingestTemporalOk: () => ready.temporal ?? false,
      draining: () => 1,
      keepAlive: () => {
        asked += 1;
        return Promise.resolve(keepAlive);
      },
    });
    server = await startHttpServer({ host: '127.0.0.1', port: 0, registry, readiness: () => ready, logger });
    const base = `http://${server.address}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(asked).toBe(1);
    return metrics;
  }

  it('serves Prometheus metrics of the worker, ingest and keep-alive', async () => {
    const keepAlive: KeepAliveState = {
      state: 'failed',
      restartsInWindow: 5,
      totalRestarts: 7,
      lastRestartAt: null,
      backoffMs: 0,
      failedReason: 'budget',
      lastObservation: 'down',
    };
    const metrics = await serve({ worker: true, temporal: true }, keepAlive);
    expect(metrics).toContain('supervisor_worker_running{worker_id="OrionMX"} 1');
    expect(metrics).toContain('supervisor_ingest_temporal_ok{worker_id="OrionMX"} 1');
    expect(metrics).toContain('supervisor_ingest_draining{worker_id="OrionMX"} 1');
    expect(metrics).toContain('supervisor_keepalive_up{worker_id="OrionMX"} 1');
    expect(metrics).toContain('supervisor_watcher_state{state="failed",worker_id="OrionMX"} 1');
    expect(metrics).toContain('supervisor_watcher_state{state="running",worker_id="OrionMX"} 0');
    expect(metrics).toContain('supervisor_watcher_restarts_in_window{worker_id="OrionMX"} 5');
    expect(metrics).toContain('supervisor_watcher_restarts_total{worker_id="OrionMX"} 7');
    expect(metrics).toMatch(/supervisor_process_resident_memory_bytes\{worker_id="OrionMX"\} \d+/);
  });

  it('answers /healthz always and /readyz only when every check passes', async () => {
    const ready = { worker: true, temporal: false };
    const metrics = await serve(ready, null);
    expect(metrics).toContain('supervisor_keepalive_up{worker_id="OrionMX"} 0');
    const base = `http://${server?.address ?? ''}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { worker: true, temporal: false } });
    ready.temporal = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
