import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HANDLERS } from '../flags/handlers.js';
import { ByteSize, Duration } from './units.js';

/** Worker ids appear in flag names, workflow ids and file names: keep them to a safe alphabet. */
export const WorkerId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/** The bundled sample watcher, so a fresh checkout supervises a real process at once. */
const SAMPLE_WATCHER = fileURLToPath(new URL('../../examples/sample-watcher.mjs', import.meta.url));

const Port = z.number().int().min(0).max(65_535);
const NonEmpty = z.string().min(1, 'must not be empty');

const Paths = z.strictObject({
  nas_root: NonEmpty.default('var/nas'),
  inbox: NonEmpty.optional(),
  outbox: NonEmpty.optional(),
  state: NonEmpty.optional(),
  logs: NonEmpty.optional(),
  diagnostics: NonEmpty.optional(),
});

const Temporal = z.strictObject({
  /**
   * `embedded` (or absent) runs the bundled engine, `temporal-cli` the official `temporal server start-dev`
   * (with its Web UI); otherwise `host:port` of a real cluster.
   */
  address: z
    .union([
      z.literal('embedded'),
      z.literal('temporal-cli'),
      z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be "embedded", "temporal-cli" or host:port'),
    ])
    .default('embedded'),
  namespace: NonEmpty.default('default'),
  task_queue_prefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
    .default('supervisor'),
  /** The embedded engine: where it listens and its data file (`:memory:` keeps nothing across restarts). */
  embedded: z
    .strictObject({
      host: NonEmpty.default('127.0.0.1'),
      port: Port.default(7233),
      db: NonEmpty.default('var/temporal.db'),
    })
    .prefault({}),
  /** The official dev server `supervisor start` runs: frontend, Web UI and SQLite file (`:memory:` keeps nothing). */
  temporal_cli: z
    .strictObject({
      host: NonEmpty.default('127.0.0.1'),
      port: Port.default(7233),
      ui_port: Port.default(8233),
      db: NonEmpty.default('var/temporal-cli.db'),
    })
    .prefault({}),
});

const Database = z
  .strictObject({
    url: z.url({ protocol: /^mysql$/, error: 'must be a mysql://user:password@host:port/database URL' }).optional(),
    host: NonEmpty.optional(),
    port: Port.default(3306),
    user: NonEmpty.optional(),
    password: z.string().optional(),
    database: NonEmpty.optional(),
    critical_tables: z
      .array(z.string().regex(/^[A-Za-z0-9_]+$/, 'must be a plain table name'))
      .default(['containers_t', 'jobs_t', 'workers_t', 'segments_t']),
  })
  .superRefine((db, ctx) => {
    if (db.url !== undefined) return;
    for (const key of ['host', 'user', 'database'] as const) {
      if (db[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required unless database.url is given' });
    }
  });

const Watcher = z.strictObject({
  command: NonEmpty.default(process.execPath),
  args: z.array(z.string()).default([SAMPLE_WATCHER]),
  cwd: NonEmpty.default('.'),
  env: z.record(z.string(), z.string()).default({}),
  log_file: NonEmpty.optional(),
  stop_timeout: Duration.default(30_000),
  heartbeat_file: NonEmpty.optional(),
  hang_timeout: Duration.default(30_000),
  /** The SIGTERM grace of a hung watcher: it is not expected to react, so it does not get the whole stop_timeout. */
  hang_stop_timeout: Duration.default(1_000),
});

const Repo = z.strictObject({
  /** No default: the code handlers refuse to act on a checkout nobody named (never the supervisor's own). */
  dir: NonEmpty.optional(),
  /** Create `dir` as a sample repository (with a sample remote beside it) when it does not exist yet. */
  sample: z.boolean().default(false),
  /** Local changes in `dir` when a code handler starts: refuse to run, or save them under a backup ref first. */
  dirty: z.enum(['refuse', 'stash']).default('refuse'),
  remote: NonEmpty.default('origin'),
  branch: NonEmpty.default('main'),
  deps_install: z
    .strictObject({
      command: NonEmpty.default('pip'),
      args: z.array(z.string()).default(['install', '-r', 'requirements.txt']),
      timeout: Duration.default(600_000),
    })
    .prefault({}),
});

/**
 * What the built-in defaults add to the schema's own: a sample checkout for the sample watcher under
 * var/, so `npm start` on a fresh machine has code handlers that work and never touch this checkout.
 */
export const BUILT_IN_DEFAULTS = 'repo:\n  dir: var/sample-repo\n  sample: true\n';

const Health = z.strictObject({
  interval: Duration.default(60_000),
  restart_budget: z
    .strictObject({ max_restarts: z.number().int().min(1).default(5), window: Duration.default(600_000) })
    .prefault({}),
  backoff: z
    .strictObject({
      initial: Duration.default(1_000),
      max: Duration.default(60_000),
      reset_after: Duration.default(300_000),
    })
    .prefault({}),
});

const Ingest = z.strictObject({
  polling: z.boolean().default(false),
  poll_interval: Duration.default(2_000),
  rescan_interval: Duration.default(30_000),
  max_flag_size: ByteSize.default(65_536),
});

const OperatorName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9@._ -]{0,99}$/, 'must be 1-100 letters, digits, spaces, "@", ".", "_" or "-"');

const Http = z.strictObject({
  host: NonEmpty.default('127.0.0.1'),
  port: Port.default(9464),
  enabled: z.boolean().default(true),
  /**
   * The web panel's decision tokens, operator name → token (use `${VAR}`): a request carrying one in
   * `Authorization: Bearer …` decides as that operator. Without any, the panel is read-only.
   */
  operator_tokens: z
    .record(OperatorName, z.string().min(16, 'must be at least 16 characters (use a random secret)'))
    .default({}),
});

const HandlerApproval = z.strictObject({
  /** How long the request waits for a decision before it ends as `expired`. */
  expires: Duration.default(1_800_000),
  /** Only these worker ids need the approval (default: every worker using this configuration). */
  workers: z.array(WorkerId).min(1, 'must list at least one worker id, or be left out').optional(),
});

const Approvals = z.strictObject({
  /** The handlers that wait for approve/reject before any side effect. */
  handlers: z.partialRecord(z.enum(HANDLERS), HandlerApproval.prefault({})).default({}),
  /** Who may decide; empty: anyone who can reach Temporal. */
  deciders: z.array(OperatorName).default([]),
  /** Whether the operator who requested a task may approve it. */
  allow_self_approval: z.boolean().default(false),
  /** Expiry of a request made by the supervisor itself (the last-known-good rollback). */
  default_expiry: Duration.default(1_800_000),
  /** Crash loop after a code update: roll back to the last commit the watcher ran healthy on. */
  last_known_good: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The restart budget must be spent within this time after an update_code / update_code_deps. */
      after_update: Duration.default(1_800_000),
      /** How long the watcher must run (heartbeat fresh) for its commit to count as known good. */
      healthy_after: Duration.default(60_000),
    })
    .prefault({}),
  /** Run that rollback without asking. Default: open an approval for it. */
  auto_rollback: z.boolean().default(false),
});

const Logging = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  file: NonEmpty.optional(),
  rotation_size: ByteSize.default(10_000_000),
  keep_files: z.number().int().min(1).max(100).default(5),
});

const Security = z
  .strictObject({
    require_signature: z.boolean().default(false),
    hmac_key: z.string().optional(),
  })
  .superRefine((security, ctx) => {
    if (security.require_signature && !security.hmac_key) {
      ctx.addIssue({ code: 'custom', path: ['hmac_key'], message: 'is required when require_signature is true' });
    }
  });

const RawConfig = z.strictObject({
  worker_id: WorkerId,
  paths: Paths.prefault({}),
  temporal: Temporal.prefault({}),
  database: Database.optional(),
  watcher: Watcher.prefault({}),
  repo: Repo.prefault({}),
  health: Health.prefault({}),
  ingest: Ingest.prefault({}),
  http: Http.prefault({}),
  logging: Logging.prefault({}),
  security: Security.prefault({}),
  approvals: Approvals.prefault({}),
});

/** The validated configuration with every derived default filled in (paths still as written). */
export const Config = RawConfig.transform((raw) => {
  const root = raw.paths.nas_root;
  const logs = raw.paths.logs ?? path.join(root, '05_LOGS');
  const state = raw.paths.state ?? path.join(root, '00_STATE');
  const paths = {
    nas_root: root,
    inbox: raw.paths.inbox ?? path.join(root, 'Worker_Inbox'),
    outbox: raw.paths.outbox ?? path.join(root, 'Worker_Outbox'),
    state,
    logs,
    diagnostics: raw.paths.diagnostics ?? path.join(logs, 'diagnostics'),
  };
  return {
    ...raw,
    paths,
    watcher: {
      ...raw.watcher,
      log_file: raw.watcher.log_file ?? path.join(logs, `watcher_${raw.worker_id}.log`),
      heartbeat_file: raw.watcher.heartbeat_file ?? path.join(state, `watcher_heartbeat_${raw.worker_id}.json`),
    },
    logging: { ...raw.logging, file: raw.logging.file ?? path.join(logs, 'supervisor.log') },
  };
});
export type Config = z.infer<typeof Config>;

/** The task queue is derived from this configuration; it is written once, with the other ids. */
export { taskQueueOf } from '../contract/ids.js';
