/** Binds the WorkflowService and Health services on a grpc-js server around one engine. */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Engine } from './state/engine.js';
import type { DevServerLogger, EngineConfig } from './state/engine.js';
import { Namespaces } from './state/namespaces.js';
import {
  buildService,
  healthReflection,
  operatorServiceReflection,
  workflowServiceReflection,
} from './rpc/grpc-service.js';
import { operatorHandlers } from './visibility/search-attributes.js';
import type { Handler } from './rpc/grpc-service.js';
import { workflowHandlers } from './rpc/workflow-rpc.js';
import { taskHandlers } from './rpc/task-rpc.js';
import { systemHandlers } from './rpc/system-rpc.js';
import { describeWorkflow } from './rpc/describe.js';
import { getHistory, getHistoryReverse } from './rpc/history-rpc.js';
import { countWorkflows, listWorkflows } from './rpc/visibility-rpc.js';
import { scheduleHandlers } from './schedules/rpc.js';
import { updateHandlers } from './updates/rpc.js';
import { executeMultiOperation } from './rpc/multi-op.js';
import { openDurableStore } from './persist/open.js';

export interface EngineServerOptions {
  port: number;
  host: string;
  namespace?: string;
  logger: DevServerLogger;
  engine: EngineConfig;
  /** Database file; absent: in memory only. */
  dbPath?: string;
  /** Retention of namespaces registered without one of their own. */
  retentionMs?: number;
  /** Default 64 MiB. */
  compactAfterBytes?: number;
}

export interface EngineServer {
  address: string;
  engine: Engine;
  stop(): Promise<void>;
}

/** Wraps handlers that take a namespace so an unknown namespace fails with NOT_FOUND first. */
function requireNamespace(namespaces: Namespaces, handlers: Record<string, Handler>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    out[name] = (req: { namespace?: string }, ctx) => {
      if (typeof req.namespace === 'string') namespaces.require(req.namespace);
      return fn(req, ctx);
    };
  }
  return out;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startEngineServer(opts: EngineServerOptions): Promise<EngineServer> {
  const namespaces = new Namespaces(opts.retentionMs);
  const engine = new Engine(namespaces, opts.logger, opts.engine);
  const durable = opts.dbPath
    ? await openDurableStore(engine, opts.dbPath, { compactAfterBytes: opts.compactAfterBytes ?? 64 * 1024 * 1024 })
    : null;
  for (const name of new Set(['default', opts.namespace ?? 'default']))
    if (!namespaces.has(name)) namespaces.register(name);
  const commit = durable ? () => durable.commit() : undefined;
  const controllers = new Set<AbortController>();
  const track = (ac: AbortController): (() => void) => {
    controllers.add(ac);
    return () => controllers.delete(ac);
  };
  const scoped: Record<string, Handler> = {
    ...workflowHandlers(engine),
    ...taskHandlers(engine),
    DescribeWorkflowExecution: (req) => describeWorkflow(engine, req),
    GetWorkflowExecutionHistory: (req, ctx) => getHistory(engine, req, ctx.signal),
    GetWorkflowExecutionHistoryReverse: (req) => getHistoryReverse(engine, req),
    ListWorkflowExecutions: (req) => listWorkflows(engine, req),
    ScanWorkflowExecutions: (req) => listWorkflows(engine, req),
    CountWorkflowExecutions: (req) => countWorkflows(engine, req),
    ...scheduleHandlers(engine),
    ...updateHandlers(engine),
    ExecuteMultiOperation: (req, ctx) => executeMultiOperation(engine, req, ctx),
  };
  const handlers: Record<string, Handler> = {
    ...requireNamespace(namespaces, scoped),
    ...namespaces.handlers(),
    ...systemHandlers(engine),
  };
  const server = new Server({
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
    // channelz bookkeeping (per-call counters and socket refs) is a debugging aid nothing here reads.
    'grpc.enable_channelz': 0,
  });
  const wf = buildService(workflowServiceReflection, handlers, opts.logger, track, commit);
  server.addService(wf.definition, wf.implementation);
  const operator = buildService(
    operatorServiceReflection,
    operatorHandlers((ns) => namespaces.require(ns).searchAttributes),
    opts.logger,
    track,
    commit,
  );
  server.addService(operator.definition, operator.implementation);
  const health = buildService(
    healthReflection,
    { Check: () => ({ status: 1 }), Watch: () => ({ status: 1 }) },
    opts.logger,
    track,
  );
  server.addService(health.definition, health.implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort(opts.host, opts.port), ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  }).catch(async (err: unknown) => {
    engine.stop();
    await durable?.close();
    throw err;
  });
  const address = hostPort(opts.host, port);
  opts.logger.debug({ address }, 'devserver listening');
  return {
    address,
    engine,
    stop: async () => {
      engine.stop();
      for (const ac of controllers) ac.abort();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await durable?.close();
    },
  };
}
