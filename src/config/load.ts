import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { BUILT_IN_DEFAULTS, Config } from './schema.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Every problem found in a configuration, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_CONFIG_FILE = 'config/supervisor.yaml';

type Env = Record<string, string | undefined>;

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in one string; `$$` is a literal `$`. */
function substitute(text: string, env: Env, where: string, problems: ConfigProblem[]): string {
  return text.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '$';
    const value = env[name];
    // Shell semantics: `:-` also replaces an empty value; a plain `${VAR}` accepts an empty one.
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value !== undefined) return value;
    problems.push({
      path: where,
      message: `environment variable ${name} is not set and has no default (write \${${name}:-default})`,
    });
    return match;
  });
}

/**
 * A plain `${VAR}` standing alone takes the type its value spells: a number, a boolean, or a YAML flow
 * list/map (`[-u, main.py]`); anything else stays the string it is, `#` and all.
 */
function typedValue(value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (/^[[{]/.test(value)) {
    const flow = parseDocument(value);
    if (flow.errors.length === 0) return flow.toJS() as unknown;
  }
  return value;
}

/**
 * Walks the YAML tree substituting variables in string scalars. An unquoted scalar that is exactly one
 * `${...}` is typed by its value, so `port: ${PORT:-7233}` is a number, `polling: ${POLL:-false}` a
 * boolean and `args: ${ARGS:-[a, b]}` a list; a quoted one (`password: "${DB_PASSWORD}"`) always stays a string.
 */
function substituteNode(node: Node | null, env: Env, at: string[], problems: ConfigProblem[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      substituteNode(pair.value as Node | null, env, [...at, key], problems);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => substituteNode(item as Node | null, env, [...at, String(index)], problems));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
    const replaced = substitute(node.value, env, at.join('.') || '(root)', problems);
    const typed = node.type === 'PLAIN' && /^\$\{[^}]*\}$/.test(node.value);
    node.value = typed ? typedValue(replaced) : replaced;
  }
}

/** A worker id for machines whose config names none: the host name, cut to the worker id alphabet. */
function defaultWorkerId(): string {
  const cleaned = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 64) || 'local';
}

/** Resolves every file-system path of the config against `baseDir`, so later code never depends on the cwd. */
function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string): string => path.resolve(baseDir, p);
  const paths = Object.fromEntries(
    Object.entries(config.paths).map(([key, value]) => [key, at(value)]),
  ) as Config['paths'];
  const { embedded, temporal_cli: temporalCli } = config.temporal;
  const file = (p: string): string => (p === ':memory:' ? p : at(p));
  return {
    ...config,
    paths,
    temporal: {
      ...config.temporal,
      embedded: { ...embedded, db: file(embedded.db) },
      temporal_cli: { ...temporalCli, db: file(temporalCli.db) },
    },
    watcher: {
      ...config.watcher,
      cwd: at(config.watcher.cwd),
      log_file: at(config.watcher.log_file),
      heartbeat_file: at(config.watcher.heartbeat_file),
    },
    repo: { ...config.repo, dir: config.repo.dir === undefined ? undefined : at(config.repo.dir) },
    logging: { ...config.logging, file: at(config.logging.file) },
  };
}

/**
 * Top-level sections a command may do without. An unset `${VAR}` inside one of them (a database password
 * kept out of the environment of an operator's shell) makes that section unusable instead of the whole
 * configuration invalid: commands that need it report the original problem, the others run.
 */
export type DeferrableSection = 'database';

export interface ParseOptions {
  source: string;
  env?: Env;
  baseDir?: string;
  defer?: readonly DeferrableSection[];
}

export interface ParsedConfig {
  config: Config;
  /** Sections left out of `config` because a variable they need is unset, with the problems found there. */
  unusable: Partial<Record<DeferrableSection, ConfigError>>;
}

/** Parses configuration text; `source` names it in errors. Relative paths resolve against `baseDir`. */
export function parseConfig(text: string, options: ParseOptions): Config {
  return parseConfigSections(text, options).config;
}

/** Splits the substitution problems into those of deferred sections (one error each) and the rest. */
function deferProblems(problems: ConfigProblem[], defer: readonly DeferrableSection[], source: string) {
  const unusable: ParsedConfig['unusable'] = {};
  const rest: ConfigProblem[] = [];
  for (const problem of problems) {
    const section = defer.find((name) => problem.path === name || problem.path.startsWith(`${name}.`));
    if (section === undefined) rest.push(problem);
    else unusable[section] = new ConfigError(source, [...(unusable[section]?.problems ?? []), problem]);
  }
  return { unusable, rest };
}

/** The document as plain values; what the parser let through but cannot resolve (an alias never anchored) named. */
function documentValue(doc: ReturnType<typeof parseDocument>, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, [{ path: '(document)', message }]);
  }
}

/** parseConfig, reporting sections made unusable by unset variables instead of failing for them (`defer`). */
export function parseConfigSections(text: string, options: ParseOptions): ParsedConfig {
  const { source, env = process.env, baseDir = process.cwd(), defer = [] } = options;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const problems: ConfigProblem[] = [];
  substituteNode(doc.contents as Node | null, env, [], problems);
  const { unusable, rest } = deferProblems(problems, defer, source);
  if (rest.length > 0) throw new ConfigError(source, rest);
  const raw = documentValue(doc, source);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(source, [{ path: '(root)', message: 'must be a mapping of sections' }]);
  const kept = Object.fromEntries(Object.entries(raw).filter(([key]) => !(key in unusable)));
  const withId = { worker_id: defaultWorkerId(), ...kept };
  const parsed = Config.safeParse(withId);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown key' }))
        : [{ path: issue.path.join('.') || '(root)', message: issue.message }],
    );
    throw new ConfigError(source, issues);
  }
  return { config: resolvePaths(parsed.data, baseDir), unusable };
}

/**
 * Loads the configuration: the file given, else `$SUPERVISOR_CONFIG`, else `config/supervisor.yaml` when it
 * exists, else the built-in defaults (which run the bundled sample watcher under ./var/).
 */
export function loadConfig(
  file?: string,
  env: Env = process.env,
  defer: readonly DeferrableSection[] = [],
): ParsedConfig & { source: string } {
  const chosen = file ?? env.SUPERVISOR_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (chosen === undefined)
    return {
      ...parseConfigSections(BUILT_IN_DEFAULTS, { source: 'built-in defaults', env, defer }),
      source: 'built-in defaults',
    };
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (error) {
    throw new ConfigError(chosen, [
      { path: '(file)', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` },
    ]);
  }
  return { ...parseConfigSections(text, { source: chosen, env, defer }), source: chosen };
}
