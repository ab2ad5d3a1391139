/**
 * Search attribute registry per namespace (OperatorService Add/List/Remove, like the real server on SQL
 * visibility) and validation of the attributes workflows are started or upserted with.
 */
import type { IPayload, ISearchAttributes, temporal } from '../wire/proto.js';
import { RpcError, invalidArgument, notFound } from '../wire/errors.js';
import { status } from '@grpc/grpc-js';

type Op = typeof temporal.api.operatorservice.v1;
type Req<K extends keyof Op> = Op[K] extends { decode(...args: never[]): infer R } ? R : never;

const TEXT = 1;
const KEYWORD = 2;
const INT = 3;
const DOUBLE = 4;
const BOOL = 5;
const DATETIME = 6;
const KEYWORD_LIST = 7;
const TYPE_NAMES = ['Unspecified', 'Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];
/** Field names of the SQL visibility schema: custom attributes become aliases of these. */
const FIELD_PREFIX = ['', 'Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];
const SQL_FIELDS_PER_TYPE = [0, 3, 10, 3, 3, 3, 3, 3];

export const SYSTEM_SEARCH_ATTRIBUTES: Record<string, number> = {
  WorkflowId: KEYWORD,
  RunId: KEYWORD,
  WorkflowType: KEYWORD,
  StartTime: DATETIME,
  ExecutionTime: DATETIME,
  CloseTime: DATETIME,
  ExecutionStatus: KEYWORD,
  TaskQueue: KEYWORD,
  HistoryLength: INT,
  HistorySizeBytes: INT,
  ExecutionDuration: INT,
  StateTransitionCount: INT,
  ParentWorkflowId: KEYWORD,
  ParentRunId: KEYWORD,
  RootWorkflowId: KEYWORD,
  RootRunId: KEYWORD,
};

/** Predefined attributes the SDKs and system workflows set (TemporalChangeVersion comes from patched()). */
const PREDEFINED: Record<string, number> = {
  TemporalChangeVersion: KEYWORD_LIST,
  BinaryChecksums: KEYWORD_LIST,
  BuildIds: KEYWORD_LIST,
  BatcherUser: KEYWORD,
  TemporalScheduledStartTime: DATETIME,
  TemporalScheduledById: KEYWORD,
  TemporalSchedulePaused: BOOL,
  TemporalNamespaceDivision: KEYWORD,
  TemporalPauseInfo: KEYWORD_LIST,
  TemporalWorkerDeploymentVersion: KEYWORD,
  TemporalWorkerDeployment: KEYWORD,
  TemporalWorkflowVersioningBehavior: KEYWORD,
  TemporalReportedProblems: KEYWORD_LIST,
  TemporalUsedWorkerDeploymentVersions: KEYWORD_LIST,
};

export class SearchAttributeRegistry {
  /** alias → { type, field } */
  private readonly custom = new Map<string, { type: number; field: string }>();

  /** Registered attributes with their SQL field, for a durable store (aliases must survive a restart). */
  entries(): [string, { type: number; field: string }][] {
    return [...this.custom].map(([name, v]) => [name, { ...v }]);
  }

  restore(entries: [string, { type: number; field: string }][]): void {
    this.custom.clear();
    for (const [name, v] of entries) this.custom.set(name, { ...v });
  }

  list(): Record<string, number> {
    return Object.fromEntries([...this.custom].map(([name, v]) => [name, v.type]));
  }

  aliases(): Record<string, string> {
    return Object.fromEntries([...this.custom].map(([name, v]) => [v.field, name]));
  }

  add(attrs: Record<string, number>): void {
    for (const [name, type] of Object.entries(attrs)) {
      if (name in SYSTEM_SEARCH_ATTRIBUTES || name in PREDEFINED)
        throw invalidArgument(`Search attribute ${name} is reserved by system.`);
      if (!TYPE_NAMES[type] || type === 0) throw invalidArgument(`Unknown search attribute type: ${type}.`);
    }
    for (const [name, type] of Object.entries(attrs)) {
      if (this.custom.has(name)) continue; // already registered: the SQL-visibility server skips it
      const used = new Set([...this.custom.values()].map((v) => v.field));
      const limit = SQL_FIELDS_PER_TYPE[type] ?? 0;
      let field = '';
      for (let i = 1; i <= limit && !field; i++) {
        const candidate = `${FIELD_PREFIX[type]}${String(i).padStart(2, '0')}`;
        if (!used.has(candidate)) field = candidate;
      }
      if (!field)
        throw invalidArgument(
          `Unable to create search attributes: cannot have more than ${limit} search attribute of type ${TYPE_NAMES[type]}.`,
        );
      this.custom.set(name, { type, field });
    }
  }

  remove(names: string[]): void {
    for (const name of names) {
      if (this.custom.has(name)) continue;
      if (name in SYSTEM_SEARCH_ATTRIBUTES || name in PREDEFINED)
        throw invalidArgument(`Unable to remove non-custom search attributes: ${name}.`);
      throw notFound(`Search attribute ${name} doesn't exist.`);
    }
    for (const name of names) this.custom.delete(name);
  }

  /** The real server's validator message for the first bad attribute, or null. */
  validate(attrs: ISearchAttributes | null | undefined, namespace: string): string | null {
    for (const [name, payload] of Object.entries(attrs?.indexedFields ?? {})) {
      if (name in SYSTEM_SEARCH_ATTRIBUTES) return `${name} attribute can't be set in SearchAttributes`;
      const type = this.custom.get(name)?.type ?? PREDEFINED[name];
      if (type === undefined) return `Namespace ${namespace} has no mapping defined for search attribute ${name}`;
      const value = decode(payload);
      if (!valid(type, value))
        return `invalid value for search attribute ${name} of type ${TYPE_NAMES[type]}: ${JSON.stringify(value)}`;
    }
    return null;
  }
}

function decode(payload: IPayload | null | undefined): unknown {
  if (!payload?.data || payload.data.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(payload.data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function valid(type: number, value: unknown): boolean {
  if (value === null) return true; // an empty payload removes the attribute
  const one = (v: unknown): boolean => {
    switch (type) {
      case TEXT:
      case KEYWORD:
      case KEYWORD_LIST:
        return typeof v === 'string';
      case INT:
        return typeof v === 'number' && Number.isInteger(v);
      case DOUBLE:
        return typeof v === 'number';
      case BOOL:
        return typeof v === 'boolean';
      case DATETIME:
        return typeof v === 'string' && !Number.isNaN(Date.parse(v));
      default:
        return false;
    }
  };
  // SDKs send lists for every type (an empty list unsets the attribute), as the server accepts.
  if (Array.isArray(value)) return value.every(one);
  return one(value);
}

export function allSearchAttributeTypes(registries: Iterable<SearchAttributeRegistry>): Record<string, number> {
  const out: Record<string, number> = { ...SYSTEM_SEARCH_ATTRIBUTES, ...PREDEFINED };
  for (const r of registries) Object.assign(out, r.list());
  return out;
}

export function operatorHandlers(registryOf: (namespace: string) => SearchAttributeRegistry) {
  const registry = (namespace: string): SearchAttributeRegistry => {
    if (!namespace) throw new RpcError(status.INVALID_ARGUMENT, 'Namespace is not set on request.');
    return registryOf(namespace);
  };
  return {
    AddSearchAttributes: (req: Req<'AddSearchAttributesRequest'>) => {
      if (Object.keys(req.searchAttributes ?? {}).length === 0)
        throw invalidArgument('SearchAttributes are not set on request.');
      registry(req.namespace).add(req.searchAttributes as Record<string, number>);
      return {};
    },
    RemoveSearchAttributes: (req: Req<'RemoveSearchAttributesRequest'>) => {
      if ((req.searchAttributes ?? []).length === 0) throw invalidArgument('SearchAttributes are not set on request.');
      registry(req.namespace).remove(req.searchAttributes);
      return {};
    },
    ListSearchAttributes: (req: Req<'ListSearchAttributesRequest'>) => ({
      customAttributes: registry(req.namespace).list(),
      systemAttributes: { ...SYSTEM_SEARCH_ATTRIBUTES, ...PREDEFINED },
      storageSchema: {},
    }),
  };
}
