/** Server/cluster information RPCs and the worker-management calls the SDK makes at start and shutdown. */
import type { Engine } from '../state/engine.js';
import type { temporal } from '../wire/proto.js';
import { tsFromMs } from '../wire/proto.js';
import { allSearchAttributeTypes } from '../visibility/search-attributes.js';

type V1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof V1> = V1[K] extends { decode(...args: never[]): infer R } ? R : never;

export const SERVER_VERSION = '1.27.0';

export function systemHandlers(engine: Engine) {
  return {
    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: false,
        encodedFailureAttributes: true,
        buildIdBasedVersioning: false,
        upsertMemo: true,
        eagerWorkflowStart: false,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),
    GetClusterInfo: () => ({
      supportedClients: {},
      serverVersion: SERVER_VERSION,
      clusterId: 'devserver',
      clusterName: 'active',
      historyShardCount: 1,
      persistenceStore: 'memory',
      visibilityStore: 'memory',
    }),
    GetSearchAttributes: () => ({
      keys: allSearchAttributeTypes(engine.namespaces.all().map((ns) => ns.searchAttributes)),
    }),
    DescribeTaskQueue: (req: Req<'DescribeTaskQueueRequest'>) => {
      const kind = req.taskQueueType === 2 ? 'activity' : 'workflow';
      const name = req.taskQueue?.name ?? '';
      return {
        pollers: engine.matching
          .pollers(req.namespace, kind, name)
          .map((p) => ({ identity: p.identity, lastAccessTime: tsFromMs(p.lastAccessTime), ratePerSecond: 100000 })),
        taskQueueStatus: { backlogCountHint: engine.matching.backlog(req.namespace, kind, name) },
      };
    },
    ListTaskQueuePartitions: (req: Req<'ListTaskQueuePartitionsRequest'>) => {
      const partition = [{ key: req.taskQueue?.name ?? '', ownerHostName: 'devserver' }];
      return { activityTaskQueuePartitions: partition, workflowTaskQueuePartitions: partition };
    },
    RecordWorkerHeartbeat: () => ({}),
    ListWorkers: () => ({ workersInfo: [], nextPageToken: null }),
  };
}
