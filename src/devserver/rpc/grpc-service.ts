/** grpc-js service definitions built from the proto reflection, with per-RPC debug logging and error mapping. */
import { status } from '@grpc/grpc-js';
import type {
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
  ServerWritableStream,
} from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { temporal, grpcHealth } from '../wire/proto.js';
import { RpcError } from '../wire/errors.js';
import type { CallContext } from '../wire/call.js';
import type { DevServerLogger } from '../state/engine.js';

// Request messages are decoded protobuf objects; each handler declares its own request type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (req: any, ctx: CallContext) => unknown;

interface ReflectedMethod {
  name: string;
  resolve(): ReflectedMethod;
  resolvedRequestType: Type | null;
  resolvedResponseType: Type | null;
  responseStream?: boolean;
}

interface ReflectedService {
  fullName: string;
  methodsArray: ReflectedMethod[];
}

function describeCall(req: Record<string, unknown>): Record<string, unknown> {
  const execution = (req.execution ?? req.workflowExecution) as { workflowId?: string } | undefined;
  const taskQueue = req.taskQueue as { name?: string } | undefined;
  return {
    namespace: req.namespace || undefined,
    workflowId: req.workflowId || execution?.workflowId || undefined,
    taskQueue: taskQueue?.name || undefined,
  };
}

/** The call's deadline in epoch ms (grpc-js answers Infinity when the client set none). */
function deadlineOf(call: { getDeadline(): Date | number }): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

export function buildService(
  svc: ReflectedService,
  handlers: Record<string, Handler>,
  logger: DevServerLogger,
  track: (ac: AbortController) => () => void,
  /** Awaited before every unary response (ok or error): the durable store's commit. */
  beforeRespond: () => Promise<void> = () => Promise.resolve(),
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const definition: Record<string, unknown> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const method of svc.methodsArray) {
    const handler = handlers[method.name];
    if (!handler) continue;
    method.resolve();
    const reqType = method.resolvedRequestType as Type;
    const resType = method.resolvedResponseType as Type;
    definition[method.name] = {
      path: `/${svc.fullName.replace(/^\./, '')}/${method.name}`,
      requestStream: false,
      responseStream: !!method.responseStream,
      requestSerialize: (v: object) => Buffer.from(reqType.encode(reqType.fromObject(v)).finish()),
      requestDeserialize: (b: Buffer) => reqType.decode(b),
      responseSerialize: (v: object) => Buffer.from(resType.encode(resType.fromObject(v)).finish()),
      responseDeserialize: (b: Buffer) => resType.decode(b),
      originalName: method.name,
    };
    if (method.responseStream) {
      implementation[method.name] = (call: ServerWritableStream<unknown, unknown>) => {
        call.write(handler(call.request, { signal: new AbortController().signal, deadlineMs: deadlineOf(call) }));
      };
      continue;
    }
    implementation[method.name] = (
      call: ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      const started = Date.now();
      const ac = new AbortController();
      const untrack = track(ac);
      call.on('cancelled', () => ac.abort());
      const meta = { method: method.name, ...describeCall(call.request) };
      Promise.resolve()
        .then(() => handler(call.request, { signal: ac.signal, deadlineMs: deadlineOf(call) }))
        .then(
          (res) => beforeRespond().then(() => res),
          (err: unknown) =>
            beforeRespond().then(
              () => Promise.reject(err as Error),
              () => Promise.reject(err as Error),
            ),
        )
        .then(
          (res) => {
            logger.debug({ ...meta, outcome: 'ok', ms: Date.now() - started }, 'devserver rpc');
            callback(null, res ?? {});
          },
          (err: unknown) => {
            if (err instanceof RpcError) {
              logger.debug(
                { ...meta, outcome: status[err.code], error: err.message, ms: Date.now() - started },
                'devserver rpc',
              );
              callback(err.toServiceError());
              return;
            }
            logger.error({ ...meta, outcome: 'INTERNAL', err }, 'devserver rpc failed');
            callback({ code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) });
          },
        )
        .finally(untrack);
    };
  }
  return { definition: definition as ServiceDefinition, implementation };
}

export const workflowServiceReflection = temporal.api.workflowservice.v1.WorkflowService as unknown as ReflectedService;
export const operatorServiceReflection = temporal.api.operatorservice.v1.OperatorService as unknown as ReflectedService;
export const healthReflection = grpcHealth.Health as unknown as ReflectedService;
