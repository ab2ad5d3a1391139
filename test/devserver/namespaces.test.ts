import { describe, expect, it } from '@jest/globals';
import { Client, NamespaceNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { grpc, temporal } from '@temporalio/proto';
import { useHarness } from './helpers.js';

const { NamespaceState } = temporal.api.enums.v1;
const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;
const SERVING = grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

const h = useHarness();

describe('namespaces', () => {
  it('registers `default` at start', async () => {
    const res = await h.client.workflowService.describeNamespace({ namespace: 'default' });
    expect(res.namespaceInfo?.name).toBe('default');
    expect(res.namespaceInfo?.state).toBe(NamespaceState.NAMESPACE_STATE_REGISTERED);
    expect(res.namespaceInfo?.id).toBeTruthy();
  });

  it('registers, describes, lists and updates a namespace; a second register is ALREADY_EXISTS', async () => {
    const svc = h.client.workflowService;
    const name = `ns-${Date.now()}`;
    await svc.registerNamespace({
      namespace: name,
      description: 'first',
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const described = await svc.describeNamespace({ namespace: name });
    expect(described.namespaceInfo?.description).toBe('first');
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(86_400);

    await expect(
      svc.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: msToTs('1 day') }),
    ).rejects.toMatchObject({ code: ALREADY_EXISTS });

    await svc.updateNamespace({ namespace: name, updateInfo: { description: 'second' } });
    expect((await svc.describeNamespace({ namespace: name })).namespaceInfo?.description).toBe('second');

    const listed = await svc.listNamespaces({ pageSize: 100 });
    const names = listed.namespaces.map((n) => n.namespaceInfo?.name);
    expect(names).toEqual(expect.arrayContaining(['default', name]));
  });

  it('answers NOT_FOUND for an unknown namespace, on describe and on start', async () => {
    const err = await h.client.workflowService
      .describeNamespace({ namespace: 'no-such-namespace' })
      .catch((e: unknown) => e);
    expect(grpcCode(err)).toBe(NOT_FOUND);

    const other = new Client({ connection: h.env.connection, namespace: 'no-such-namespace' });
    const startErr = await other.workflow
      .start('echo', { taskQueue: 'nowhere', workflowId: h.workflowId('unknown-ns'), args: [1] })
      .catch((e: unknown) => e);
    // The real server attaches NamespaceNotFoundFailure details, which the client turns into this error.
    expect(startErr).toBeInstanceOf(NamespaceNotFoundError);
    expect((startErr as NamespaceNotFoundError).namespace).toBe('no-such-namespace');
  });

  it('runs workflows in a registered namespace, isolated from `default`', async () => {
    const name = `iso-${Date.now()}`;
    await h.client.workflowService.registerNamespace({
      namespace: name,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const other = new Client({ connection: h.env.connection, namespace: name });
    const taskQueue = h.taskQueue('ns');
    const workflowId = h.workflowId('same-id');
    const worker = await h.createWorker({ taskQueue, namespace: name });
    const result = await worker.runUntil(async () => {
      const handle = await other.workflow.start('echo', { taskQueue, workflowId, args: ['in other namespace'] });
      return await handle.result();
    });
    expect(result).toBe('in other namespace');

    // The same workflow id is free in `default`: namespaces do not share executions.
    await h.withWorker({ taskQueue }, async () => {
      const handle = await h.client.workflow.start('echo', { taskQueue, workflowId, args: ['in default'] });
      h.track(handle);
      expect(await handle.result()).toBe('in default');
    });
    const otherDescribe = await other.workflow.getHandle(workflowId).describe();
    expect(otherDescribe.status.name).toBe('COMPLETED');
    expect(otherDescribe.taskQueue).toBe(taskQueue);
  });
});

describe('system info and health', () => {
  it('advertises the capabilities the SDK relies on', async () => {
    const info = await h.client.workflowService.getSystemInfo({});
    expect(info.capabilities).toMatchObject({
      signalAndQueryHeader: true,
      internalErrorDifferentiation: true,
      activityFailureIncludeHeartbeat: true,
      encodedFailureAttributes: true,
      upsertMemo: true,
      sdkMetadata: true,
    });
    expect(typeof info.serverVersion).toBe('string');
  });

  it('serves the gRPC health service', async () => {
    const overall = await h.env.connection.healthService.check({});
    expect(overall.status).toBe(SERVING);
    const workflowService = await h.env.connection.healthService.check({
      service: 'temporal.api.workflowservice.v1.WorkflowService',
    });
    expect(workflowService.status).toBe(SERVING);
  });
});
