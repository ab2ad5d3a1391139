import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

// No Docker engine runs here, so the stack is checked the way `docker compose config` would see it:
// interpolated, then every cross-reference (service names, ports, credentials) resolved and compared.

type Env = Record<string, string | undefined>;
type Dict = Record<string, unknown>;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const COMPOSE: unknown = parse(read('docker-compose.yml'));
const DOCKERFILE = read('Dockerfile');

const TEMPORAL_PORT = 7233;
const UI_PORT = 8080;
const MYSQL_PORT = 3306;

function dict(value: unknown, where: string): Dict {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where} must be a mapping`);
  return value as Dict;
}

/** Compose interpolation, the forms this repo uses: `$$`, `${VAR}` (unset = empty), `${VAR:-default}`. */
function interpolate(value: unknown, env: Env): unknown {
  if (typeof value === 'string') {
    const out = value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, name?: string, fallback?: string) => {
        if (name === undefined) return '\0';
        const set = env[name];
        return fallback !== undefined && (set === undefined || set === '') ? fallback : (set ?? '');
      },
    );
    if (out.includes('${')) throw new Error(`unsupported interpolation in ${JSON.stringify(value)}`);
    return out.replaceAll('\0', '$');
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

/** `environment:` as a map or as a `KEY=value` list, values as the container sees them (strings). */
function environmentOf(service: Dict): Record<string, string> {
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map(String).map((entry) => [entry.split('=')[0] ?? '', entry.slice(entry.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(dict(raw, 'environment')).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Published ports as `{host, container}`, from `"[ip:]host:container[/proto]"` or the long form. */
function portsOf(service: Dict): { host: number; container: number }[] {
  const raw = service.ports ?? [];
  if (!Array.isArray(raw)) throw new Error('ports must be a list');
  return raw.map((entry: unknown) => {
    if (typeof entry === 'object' && entry !== null) {
      const long = entry as Dict;
      return { host: Number(long.published), container: Number(long.target) };
    }
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

/** `depends_on:` as `{service: condition}`; the list form means `service_started`. */
function dependsOn(service: Dict): Record<string, string> {
  const raw = service.depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [String(name), 'service_started']));
  return Object.fromEntries(
    Object.entries(dict(raw, 'depends_on')).map(([k, v]) => [k, String(dict(v, k).condition ?? 'service_started')]),
  );
}

function volumeTargets(service: Dict): string[] {
  const raw = service.volumes ?? [];
  if (!Array.isArray(raw)) return [];
  return raw.map((v: unknown) =>
    typeof v === 'object' && v !== null ? String((v as Dict).target) : (String(v).split(':')[1] ?? ''),
  );
}

/** The `--config` file named by the Dockerfile's CMD, and its ENTRYPOINT. */
function dockerfileCommand(text: string): { entrypoint: string[]; config: string | undefined } {
  const json = (instruction: string): string[] =>
    JSON.parse(new RegExp(`^${instruction}\\s+(\\[.*\\])\\s*$`, 'm').exec(text)?.[1] ?? '[]') as string[];
  const cmd = json('CMD');
  const at = cmd.indexOf('--config');
  return { entrypoint: json('ENTRYPOINT'), config: at >= 0 ? cmd[at + 1] : undefined };
}

/** Finds each service by the image it runs, so a renamed service is caught where it is referenced. */
function findServices(services: Dict): Record<'mysql' | 'temporal' | 'ui' | 'supervisor', [string, Dict] | undefined> {
  const entries = Object.entries(services).map(([name, s]) => [name, dict(s, name)] as [string, Dict]);
  const byImage = (prefix: string): [string, Dict] | undefined =>
    entries.find(([, s]) => String(s.image ?? '').startsWith(prefix) && s.build === undefined);
  return {
    mysql: byImage('mysql:'),
    temporal: byImage('temporalio/auto-setup:'),
    ui: byImage('temporalio/ui:'),
    supervisor: entries.find(([, s]) => s.build !== undefined),
  };
}

/** The supervisor's config as the container would load it: only the environment compose gives it. */
function loadSupervisorConfig(env: Record<string, string>): Config {
  const file = dockerfileCommand(DOCKERFILE).config ?? '(none)';
  return parseConfig(read(file), { source: file, env, baseDir: '/app' });
}

/** Every wiring mistake in a compose document, as readable sentences; empty when the stack fits together. */
function wiringProblems(raw: unknown, hostEnv: Env): string[] {
  const problems: string[] = [];
  const services = dict(dict(interpolate(raw, hostEnv), 'compose file').services, 'services');
  const found = findServices(services);
  const expected = { mysql: 'mysql', temporal: 'temporal', ui: 'temporal-ui', supervisor: 'supervisor' } as const;
  for (const role of Object.keys(expected) as (keyof typeof expected)[]) {
    if (found[role]?.[0] !== expected[role])
      problems.push(`service ${expected[role]} is missing (found ${found[role]?.[0] ?? 'nothing'} in its role)`);
  }
  const { mysql, temporal, ui, supervisor } = found;
  if (!mysql || !temporal || !ui || !supervisor) return problems;
  const [mysqlName, mysqlService] = mysql;
  const [temporalName, temporalService] = temporal;
  const mysqlEnv = environmentOf(mysqlService);
  const temporalEnv = environmentOf(temporalService);
  const published = (service: Dict, port: number): boolean =>
    portsOf(service).some((p) => p.container === port && p.host === port);

  for (const [name, service] of Object.entries(services)) {
    for (const [target, condition] of Object.entries(dependsOn(dict(service, name)))) {
      if (condition === 'service_healthy' && dict(services[target] ?? {}, target).healthcheck === undefined)
        problems.push(`${name} waits for ${target} to be healthy, which has no healthcheck`);
    }
  }
  if (!/^mysql:8(\.\d+)*$/.test(String(mysqlService.image)))
    problems.push(`mysql image ${String(mysqlService.image)} is not MySQL 8`);
  if (mysqlService.healthcheck === undefined) problems.push('mysql has no healthcheck');
  if (!/^temporalio\/auto-setup:\d+\.\d+\.\d+$/.test(String(temporalService.image)))
    problems.push(`temporal image ${String(temporalService.image)} is not pinned to a version`);
  if (dependsOn(temporalService)[mysqlName] !== 'service_healthy')
    problems.push(`temporal does not wait for ${mysqlName} to be healthy`);
  if (temporalEnv.DB !== 'mysql8') problems.push(`temporal DB is ${temporalEnv.DB}, not mysql8`);
  if (temporalEnv.MYSQL_SEEDS !== mysqlName)
    problems.push(`temporal MYSQL_SEEDS is ${temporalEnv.MYSQL_SEEDS}, not the ${mysqlName} service`);
  if (temporalEnv.DB_PORT !== String(MYSQL_PORT))
    problems.push(`temporal DB_PORT is ${temporalEnv.DB_PORT}, not ${MYSQL_PORT}`);
  const [wantUser, wantPassword] =
    temporalEnv.MYSQL_USER === 'root'
      ? ['root', mysqlEnv.MYSQL_ROOT_PASSWORD]
      : [mysqlEnv.MYSQL_USER, mysqlEnv.MYSQL_PASSWORD];
  if (temporalEnv.MYSQL_USER !== wantUser || temporalEnv.MYSQL_PWD !== wantPassword)
    problems.push(`temporal's MySQL credentials do not match the ${mysqlName} service`);
  if (!published(temporalService, TEMPORAL_PORT)) problems.push(`temporal does not publish ${TEMPORAL_PORT}`);

  const [uiName, uiService] = ui;
  if (environmentOf(uiService).TEMPORAL_ADDRESS !== `${temporalName}:${TEMPORAL_PORT}`)
    problems.push(`${uiName} TEMPORAL_ADDRESS does not point at ${temporalName}:${TEMPORAL_PORT}`);
  if (!published(uiService, UI_PORT)) problems.push(`${uiName} does not publish ${UI_PORT}`);

  const [supName, supService] = supervisor;
  const deps = dependsOn(supService);
  if (deps[temporalName] === undefined) problems.push(`${supName} does not depend on ${temporalName}`);
  if (deps[mysqlName] !== 'service_healthy') problems.push(`${supName} does not wait for ${mysqlName} to be healthy`);
  let config: Config;
  try {
    config = loadSupervisorConfig(environmentOf(supService));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...problems, ...error.problems.map((p) => `supervisor config ${p.path}: ${p.message}`)];
  }
  if (config.temporal.address !== `${temporalName}:${TEMPORAL_PORT}`)
    problems.push(`supervisor temporal.address is ${config.temporal.address}`);
  const db = config.database;
  if (!db) return [...problems, 'supervisor config has no database section'];
  if (db.host !== mysqlName || db.port !== MYSQL_PORT)
    problems.push(`supervisor database is ${db.host}:${db.port}, not ${mysqlName}:${MYSQL_PORT}`);
  if (
    db.user !== mysqlEnv.MYSQL_USER ||
    db.password !== mysqlEnv.MYSQL_PASSWORD ||
    db.database !== mysqlEnv.MYSQL_DATABASE
  )
    problems.push(`supervisor database credentials do not match the ${mysqlName} service`);
  if (config.http.host !== '0.0.0.0' || !published(supService, config.http.port))
    problems.push(`supervisor http ${config.http.host}:${config.http.port} is not published`);
  if (!volumeTargets(supService).includes(config.paths.nas_root))
    problems.push(`supervisor nas_root ${config.paths.nas_root} is not a mounted volume`);
  return problems;
}

/** A copy of the compose document with `edit` applied to it. */
function mutated(edit: (services: Dict) => void): unknown {
  const copy = structuredClone(COMPOSE) as Dict;
  edit(dict(copy.services, 'services'));
  return copy;
}
const env = (services: Dict, name: string): Dict => dict(dict(services[name], name).environment, `${name}.environment`);

describe('docker-compose.yml', () => {
  it('wires mysql, temporal, temporal-ui and the supervisor together with the default (dev-only) values', () => {
    expect(wiringProblems(COMPOSE, {})).toEqual([]);
  });

  it('stays wired when the operator sets real secrets and names in the environment', () => {
    const hostEnv = {
      MYSQL_ROOT_PASSWORD: 'r00t-Secret',
      DB_PASSWORD: 'app-Secret',
      DB_USER: 'sup',
      DB_NAME: 'ops',
      SUPERVISOR_WORKER_ID: 'OrionMX',
    };
    expect(wiringProblems(COMPOSE, hostEnv)).toEqual([]);
    const services = dict(dict(interpolate(COMPOSE, hostEnv), 'compose').services, 'services');
    const config = loadSupervisorConfig(environmentOf(dict(services.supervisor, 'supervisor')));
    expect(config.worker_id).toBe('OrionMX');
    expect(config.database).toMatchObject({
      host: 'mysql',
      port: 3306,
      user: 'sup',
      password: 'app-Secret',
      database: 'ops',
    });
  });

  it('gives the supervisor a valid config pointing at the temporal and mysql services', () => {
    const services = dict(dict(interpolate(COMPOSE, {}), 'compose').services, 'services');
    const config = loadSupervisorConfig(environmentOf(dict(services.supervisor, 'supervisor')));
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.database).toMatchObject({ host: 'mysql', port: 3306, user: 'supervisor', database: 'supervisor' });
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 9464, enabled: true });
    expect(config.paths.inbox).toBe('/nas/Worker_Inbox');
  });

  it.each<[string, (services: Dict) => void, string]>([
    [
      'a renamed mysql service',
      (s) => {
        s.db = s.mysql;
        delete s.mysql;
      },
      'temporal MYSQL_SEEDS is mysql, not the db service',
    ],
    [
      'a renamed temporal service',
      (s) => {
        s['temporal-server'] = s.temporal;
        delete s.temporal;
      },
      'TEMPORAL_ADDRESS does not point at temporal-server:7233',
    ],
    [
      'a supervisor password that differs from mysql',
      (s) => {
        env(s, 'supervisor').DB_PASSWORD = 'other';
      },
      'supervisor database credentials do not match',
    ],
    [
      'a temporal password that differs from mysql',
      (s) => {
        env(s, 'temporal').MYSQL_PWD = 'other';
      },
      "temporal's MySQL credentials do not match",
    ],
    [
      'an http port that is not published',
      (s) => {
        env(s, 'supervisor').SUPERVISOR_HTTP_PORT = '9000';
      },
      'supervisor http 0.0.0.0:9000 is not published',
    ],
    [
      'a UI pointed elsewhere',
      (s) => {
        env(s, 'temporal-ui').TEMPORAL_ADDRESS = 'localhost:7233';
      },
      'temporal-ui TEMPORAL_ADDRESS does not point at temporal:7233',
    ],
    [
      'temporal not waiting for a healthy mysql',
      (s) => {
        dict(s.temporal, 'temporal').depends_on = ['mysql'];
      },
      'temporal does not wait for mysql to be healthy',
    ],
    [
      'an unpinned temporal image',
      (s) => {
        dict(s.temporal, 'temporal').image = 'temporalio/auto-setup:latest';
      },
      'is not pinned to a version',
    ],
    [
      'a missing config variable',
      (s) => {
        delete env(s, 'supervisor').TEMPORAL_ADDRESS;
      },
      'supervisor config temporal.address',
    ],
  ])('reports %s', (_name, edit, problem) => {
    expect(wiringProblems(mutated(edit), {}).join('\n')).toContain(problem);
  });
});

describe('Dockerfile', () => {
  it('starts the built CLI with a config file that exists and is copied into the image', () => {
    const { entrypoint, config } = dockerfileCommand(DOCKERFILE);
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(entrypoint).toEqual(['node', pkg.bin.supervisor]);
    expect(config).toBe('config/supervisor.docker.yaml');
    expect(existsSync(path.join(ROOT, config ?? ''))).toBe(true);
    expect(DOCKERFILE).toMatch(/^COPY config \.\/config$/m);
    expect(read('.dockerignore').split('\n')).not.toContain('config');
  });
});
