/**
 * The folders: each one exists and takes a file (tried for real: permission bits say nothing for root or on
 * a share), the inbox, outbox and state folders sit on one filesystem (flags and results are moved between
 * them by rename, which cannot cross filesystems), the inbox can be watched, the disk has room, and no drain
 * marker holds the inbox.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { drainFlagPath } from '../../nas/paths.js';
import { advise, fail, messageOf, pass } from './check.js';
import type { CheckRow } from './check.js';

const GROUP = 'paths';
/** Below this the supervisor's own writes (results, logs, diagnostics) start failing soon. */
const DISK_FAIL_BYTES = 100 * 1024 * 1024;
const DISK_ADVISE_BYTES = 1024 * 1024 * 1024;
/** Filesystems whose change notifications do not reach this host: inotify (native watching) misses remote writes. */
const NETWORK_FS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'fuse.sshfs', '9p', 'afs', 'davfs', 'fuse.rclone']);

async function writable(key: string, dir: string): Promise<CheckRow> {
  const name = key;
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    return fail(
      GROUP,
      name,
      `${dir} does not exist (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
      'create it, or run supervisor start (it creates the NAS folders); on a share, check the mount',
    );
  }
  if (!info.isDirectory()) return fail(GROUP, name, `${dir} is not a directory`, 'point the path at a folder');
  const probe = path.join(dir, `.doctor-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(probe, 'doctor\n', { flag: 'wx' });
    await rm(probe, { force: true });
    return pass(GROUP, name, `${dir} exists and is writable`);
  } catch (error) {
    return fail(
      GROUP,
      name,
      `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
      "give the supervisor's user write access (or fix the share's mount options)",
    );
  }
}

/** The filesystem type of the mount holding `dir` (Linux /proc/self/mounts; undefined elsewhere). */
export function filesystemOf(dir: string): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return undefined;
  }
  const target = path.resolve(dir);
  let best: { point: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [, point, type] = line.split(' ');
    if (point === undefined || type === undefined) continue;
    const at = point.replace(/\\040/g, ' ');
    const inside = target === at || target.startsWith(at.endsWith('/') ? at : `${at}/`);
    if (inside && (best === undefined || at.length > best.point.length)) best = { point: at, type };
  }
  return best?.type;
}

async function sameFilesystem(config: Config): Promise<CheckRow> {
  const dirs = { inbox: config.paths.inbox, outbox: config.paths.outbox, state: config.paths.state };
  const devices = new Map<string, string[]>();
  for (const [name, dir] of Object.entries(dirs)) {
    try {
      const dev = String((await stat(dir)).dev);
      devices.set(dev, [...(devices.get(dev) ?? []), name]);
    } catch {
      return advise(GROUP, 'same filesystem', `${name} is missing, not compared`, 'fix the missing folder first');
    }
  }
  if (devices.size === 1) return pass(GROUP, 'same filesystem', 'inbox, outbox and state are on one filesystem');
  const groups = [...devices.values()].map((names) => names.join('+')).join(' | ');
  return fail(
    GROUP,
    'same filesystem',
    `inbox, outbox and state are on different filesystems (${groups}): atomic renames between them fail`,
    'put paths.inbox, paths.outbox and paths.state under one share (the default: all under paths.nas_root)',
  );
}

function watchable(config: Config): CheckRow {
  const type = filesystemOf(config.paths.inbox);
  const mode = config.ingest.polling ? 'polling' : 'native';
  if (type !== undefined && NETWORK_FS.has(type) && !config.ingest.polling)
    return advise(
      GROUP,
      'inbox watchable',
      `inbox is on ${type}: native notifications miss files written by other hosts`,
      'set ingest.polling: true (the rescan still finds them every ingest.rescan_interval)',
    );
  return pass(GROUP, 'inbox watchable', `${mode} watching${type === undefined ? '' : ` on ${type}`}`);
}

/** The nearest folder that exists at or above `dir`: the disk it will be created on. */
async function existingAncestor(dir: string): Promise<string> {
  let at = path.resolve(dir);
  for (;;) {
    try {
      await stat(at);
      return at;
    } catch {
      if (path.dirname(at) === at) return at;
      at = path.dirname(at);
    }
  }
}

async function diskSpace(config: Config): Promise<CheckRow> {
  try {
    const fs = await statfs(await existingAncestor(config.paths.nas_root));
    const free = fs.bavail * fs.bsize;
    const mib = Math.round(free / (1024 * 1024));
    if (free < DISK_FAIL_BYTES)
      return fail(
        GROUP,
        'disk space',
        `${mib} MiB free under ${config.paths.nas_root}`,
        'free space on the share: results, logs and diagnostics are written there',
      );
    if (free < DISK_ADVISE_BYTES)
      return advise(
        GROUP,
        'disk space',
        `${mib} MiB free under ${config.paths.nas_root}`,
        'free space soon; logs rotate but diagnostics and results accumulate',
      );
    return pass(GROUP, 'disk space', `${mib} MiB free under ${config.paths.nas_root}`);
  } catch (error) {
    return fail(
      GROUP,
      'disk space',
      `cannot read free space of ${config.paths.nas_root}: ${messageOf(error)}`,
      'check paths.nas_root',
    );
  }
}

async function drainMarker(config: Config): Promise<CheckRow> {
  const file = drainFlagPath(config.paths.state, config.worker_id);
  try {
    await stat(file);
    return advise(
      GROUP,
      'drain marker',
      `${file} exists: new flags for ${config.worker_id} stay in the inbox`,
      `supervisor undrain --worker ${config.worker_id} when the maintenance is over`,
    );
  } catch {
    return pass(GROUP, 'drain marker', 'not draining');
  }
}

export async function pathChecks(config: Config): Promise<CheckRow[]> {
  const seen = new Set<string>();
  const dirs = Object.entries(config.paths).filter(([, dir]) => !seen.has(dir) && seen.add(dir));
  const rows = await Promise.all(dirs.map(([key, dir]) => writable(key, dir)));
  return [...rows, await sameFilesystem(config), watchable(config), await diskSpace(config), await drainMarker(config)];
}
