// Fake watcher for tests: a real process whose misbehaviour is chosen by name, so supervisor code is
// tested against the failure it must survive rather than a mock of it. No dependencies on purpose.
//
// Usage: node fake-watcher.mjs <variant> <heartbeat-file> [--interval-ms=200] [--beats=3] [--pids-file=F]
// Env fallbacks: FAKE_WATCHER_VARIANT, WATCHER_HEARTBEAT_FILE, FAKE_WATCHER_INTERVAL_MS,
//                FAKE_WATCHER_BEATS, FAKE_WATCHER_PIDS_FILE.
// Variants:
//   well-behaved         heartbeat every interval; SIGTERM/SIGINT: final heartbeat "stopping", exit 0
//   ignore-sigterm       heartbeats; on SIGTERM it only sets message "ignored SIGTERM x<n>" (kept on
//                        later beats) and runs on; only SIGKILL ends it
//   forks-grandchildren  heartbeats and starts child -> grandchild, all long-lived; writes
//                        {"parent","child","grandchild"} pids to the pids file (default <heartbeat>.pids.json).
//                        On SIGTERM the parent exits 0 and leaves its descendants running, like a sloppy
//                        watcher would, so only a whole-tree stop cleans up.
//   stops-heartbeating   writes `beats` heartbeats, then stays alive silently (a hung watcher);
//                        SIGTERM exits 0 without a final heartbeat.
// Heartbeat JSON: {"unix_ts": seconds (float), "status": "healthy"|"stopping", "pid", "message"?, "error"?},
// message is "beat <n>" (n counts from 1) unless a variant says otherwise;
// written to a dot-prefixed temp file in the same directory and renamed, so readers never see half a file.
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const [variantArg, heartbeatArg, ...rest] = process.argv.slice(2);
const option = (name, envName, fallback) => {
  const hit = rest.find((arg) => arg.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : (process.env[envName] ?? fallback);
};

const variant = variantArg ?? process.env.FAKE_WATCHER_VARIANT;
const heartbeatFile = heartbeatArg ?? process.env.WATCHER_HEARTBEAT_FILE;
const intervalMs = Number(option('interval-ms', 'FAKE_WATCHER_INTERVAL_MS', '200'));
const beats = Number(option('beats', 'FAKE_WATCHER_BEATS', '3'));
const pidsFile = option('pids-file', 'FAKE_WATCHER_PIDS_FILE', `${heartbeatFile}.pids.json`);

const writeAtomically = (file, text) => {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};

let beatCount = 0;
// Sticky note for later beats, so a poller cannot miss an event between two heartbeats.
let note;
const beat = (status = 'healthy', message) => {
  beatCount += 1;
  const body = {
    unix_ts: Date.now() / 1000,
    status,
    pid: process.pid,
    message: message ?? note ?? `beat ${beatCount}`,
  };
  writeAtomically(heartbeatFile, `${JSON.stringify(body)}\n`);
};

// Descendants of forks-grandchildren only need to exist; the interval keeps them alive.
const stayAlive = () => setInterval(() => {}, 60_000);

const startDescendants = () => {
  const self = fileURLToPath(import.meta.url);
  // Descendants get no inherited pipes: a harness waiting for the parent's stderr to close would hang.
  const child = spawn(process.execPath, [self, '__child'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (!out.includes('\n')) return;
    const pids = { parent: process.pid, child: child.pid, grandchild: Number(out.trim()) };
    writeAtomically(pidsFile, `${JSON.stringify(pids)}\n`);
    child.stdout.destroy();
  });
};

const exitOnSignal = (finalBeat) => {
  const stop = () => {
    if (finalBeat) beat('stopping', 'received stop signal');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};

const heartbeatForever = () => {
  beat();
  setInterval(() => beat(), intervalMs);
};

const VARIANTS = ['well-behaved', 'ignore-sigterm', 'forks-grandchildren', 'stops-heartbeating'];
if (!VARIANTS.includes(variant) && variant !== '__child' && variant !== '__grandchild') {
  process.stderr.write(`fake-watcher: unknown variant ${String(variant)}; one of ${VARIANTS.join(', ')}\n`);
  process.exit(64);
}
if (!variant.startsWith('__') && !heartbeatFile) {
  process.stderr.write('fake-watcher: heartbeat file missing (argv[3] or WATCHER_HEARTBEAT_FILE)\n');
  process.exit(64);
}

switch (variant) {
  case 'well-behaved':
    exitOnSignal(true);
    heartbeatForever();
    break;
  case 'ignore-sigterm': {
    let ignored = 0;
    process.on('SIGTERM', () => {
      ignored += 1;
      note = `ignored SIGTERM x${ignored}`;
      beat();
    });
    heartbeatForever();
    break;
  }
  case 'forks-grandchildren':
    exitOnSignal(true);
    heartbeatForever();
    startDescendants();
    break;
  case 'stops-heartbeating': {
    exitOnSignal(false);
    let written = 0;
    const timer = setInterval(() => {
      if (written >= beats) return clearInterval(timer);
      beat();
      written += 1;
    }, intervalMs);
    beat();
    written += 1;
    stayAlive();
    break;
  }
  case '__child': {
    const self = fileURLToPath(import.meta.url);
    const grandchild = spawn(process.execPath, [self, '__grandchild'], { stdio: 'ignore' });
    process.stdout.write(`${grandchild.pid}\n`);
    stayAlive();
    break;
  }
  case '__grandchild':
    stayAlive();
    break;
}
