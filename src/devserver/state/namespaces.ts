/** Namespace registry and its RPCs (Register/Describe/List/Update), shaped like the real server's answers. */
import type { L, pb, temporal } from '../wire/proto.js';
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';

import { durationMs, msDuration } from '../wire/proto.js';
import { RpcError, invalidArgument, namespaceNotFound } from '../wire/errors.js';
import { SearchAttributeRegistry } from '../visibility/search-attributes.js';

type V1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof V1> = V1[K] extends { decode(...args: never[]): infer R } ? R : never;
type DescribeResp = L<pb.api.workflowservice.v1.IDescribeNamespaceResponse>;

interface NamespaceRecord {
  id: string;
  name: string;
  description: string;
  ownerEmail: string;
  data: Record<string, string>;
  retentionMs: number;
  searchAttributes: SearchAttributeRegistry;
}

/** `temporal server start-dev` registers its namespaces with a one-day retention. */
export const DEFAULT_RETENTION_MS = 24 * 3600 * 1000;
const REGISTERED = 1;

/** A namespace as a durable store keeps it (plain data). */
export type NamespaceSnapshot = Omit<NamespaceRecord, 'searchAttributes'> & {
  searchAttributes: ReturnType<SearchAttributeRegistry['entries']>;
};

export class Namespaces {
  private readonly byName = new Map<string, NamespaceRecord>();

  /** `defaultRetentionMs` applies to namespaces registered without a retention of their own. */
  constructor(private readonly defaultRetentionMs = DEFAULT_RETENTION_MS) {}

  register(
    name: string,
    opts: Partial<Omit<NamespaceRecord, 'id' | 'name' | 'searchAttributes'>> = {},
  ): NamespaceRecord {
    const rec: NamespaceRecord = {
      id: randomUUID(),
      name,
      description: opts.description ?? '',
      ownerEmail: opts.ownerEmail ?? '',
      data: opts.data ?? {},
      retentionMs: opts.retentionMs || this.defaultRetentionMs,
      searchAttributes: new SearchAttributeRegistry(),
    };
    this.byName.set(name, rec);
    return rec;
  }

  snapshot(): NamespaceSnapshot[] {
    return this.all().map(({ searchAttributes, ...rest }) => ({
      ...rest,
      data: { ...rest.data },
      searchAttributes: searchAttributes.entries(),
    }));
  }

  /** Replaces the registry with persisted namespaces; ids are kept (schedule jitter is seeded with them). */
  restore(snapshots: NamespaceSnapshot[]): void {
    this.byName.clear();
    for (const { searchAttributes, ...rest } of snapshots) {
      const registry = new SearchAttributeRegistry();
      registry.restore(searchAttributes);
      this.byName.set(rest.name, { ...rest, searchAttributes: registry });
    }
  }

  all(): NamespaceRecord[] {
    return [...this.byName.values()];
  }

  /** Validates search attributes against the namespace's registry; returns the server's message or null. */
  searchAttributeError(name: string, attrs: Parameters<SearchAttributeRegistry['validate']>[0]): string | null {
    return this.byName.get(name)?.searchAttributes.validate(attrs, name) ?? null;
  }

  retentionMs(name: string): number {
    return this.byName.get(name)?.retentionMs ?? this.defaultRetentionMs;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Throws NOT_FOUND with NamespaceNotFoundFailure details for an unknown namespace. */
  require(name: string | null | undefined): NamespaceRecord {
    if (!name) throw invalidArgument('Namespace not set on request.');
    const rec = this.byName.get(name);
    if (!rec) throw namespaceNotFound(name);
    return rec;
  }

  describe(rec: NamespaceRecord): DescribeResp {
    return {
      namespaceInfo: {
        name: rec.name,
        state: REGISTERED,
        description: rec.description,
        ownerEmail: rec.ownerEmail,
        data: rec.data,
        id: rec.id,
        capabilities: { eagerWorkflowStart: false, syncUpdate: false, asyncUpdate: false },
        supportsSchedules: false,
      },
      config: {
        workflowExecutionRetentionTtl: msDuration(rec.retentionMs),
        historyArchivalState: 2,
        visibilityArchivalState: 2,
        historyArchivalUri: '',
        visibilityArchivalUri: '',
        customSearchAttributeAliases: rec.searchAttributes.aliases(),
      },
      replicationConfig: { activeClusterName: 'active', clusters: [{ clusterName: 'active' }], state: 0 },
      failoverVersion: 0,
      isGlobalNamespace: false,
      failoverHistory: [],
    };
  }

  handlers() {
    return {
      RegisterNamespace: (req: Req<'RegisterNamespaceRequest'>) => {
        if (!req.namespace) throw invalidArgument('Namespace not set on request.');
        if (this.byName.has(req.namespace)) throw new RpcError(status.ALREADY_EXISTS, 'Namespace already exists.');
        this.register(req.namespace, {
          description: req.description,
          ownerEmail: req.ownerEmail,
          data: req.data ?? {},
          retentionMs: durationMs(req.workflowExecutionRetentionPeriod),
        });
        return {};
      },
      DescribeNamespace: (req: Req<'DescribeNamespaceRequest'>) => {
        if (req.id && !req.namespace) {
          const rec = [...this.byName.values()].find((r) => r.id === req.id);
          if (!rec) throw namespaceNotFound(req.id);
          return this.describe(rec);
        }
        return this.describe(this.require(req.namespace));
      },
      ListNamespaces: () => ({
        namespaces: [...this.byName.values()].map((r) => this.describe(r)),
        nextPageToken: null,
      }),
      UpdateNamespace: (req: Req<'UpdateNamespaceRequest'>) => {
        const rec = this.require(req.namespace);
        const info = req.updateInfo;
        if (info?.description) rec.description = info.description;
        if (info?.ownerEmail) rec.ownerEmail = info.ownerEmail;
        if (info?.data) Object.assign(rec.data, info.data);
        const retention = durationMs(req.config?.workflowExecutionRetentionTtl);
        if (retention > 0) rec.retentionMs = retention;
        return { ...this.describe(rec), isGlobalNamespace: false };
      },
    };
  }
}
