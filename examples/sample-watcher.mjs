// Sample watcher: the process the default config supervises, so a fresh install shows a supervised
// process at once. Replace it with your real worker; keep the heartbeat contract below.
//
// Usage: node examples/sample-watcher.mjs [heartbeat-file]   (or env WATCHER_HEARTBEAT_FILE)
//        env WATCHER_INTERVAL_MS changes the beat (default 5000).
// Heartbeat JSON: {"unix_ts": seconds (float), "status": "healthy"|"stopping", "pid", "message"?, "error"?}
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { setInterval } from 'node:timers';

const heartbeatFile = process.argv[2] ?? process.env.WATCHER_HEARTBEAT_FILE;
const intervalMs = Number(process.env.WATCHER_INTERVAL_MS ?? 5000);
if (!heartbeatFile) {
  process.stderr.write('sample-watcher: pass the heartbeat file as argv[2] or WATCHER_HEARTBEAT_FILE\n');
  process.exit(64);
}
mkdirSync(dirname(heartbeatFile), { recursive: true });

let beats = 0;
const beat = (status) => {
  beats += 1;
  const body = { unix_ts: Date.now() / 1000, status, pid: process.pid, message: `beat ${beats}` };
  // Temp file + rename in the same directory: the supervisor never reads a half-written heartbeat.
  const tmp = join(dirname(heartbeatFile), `.${basename(heartbeatFile)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(body)}\n`);
  renameSync(tmp, heartbeatFile);
  // One line per beat gives the watcher log (watcher.log_file) something to rotate and an operator something to tail.
  process.stdout.write(`${new Date().toISOString()} sample-watcher pid=${process.pid} ${status} beat=${beats}\n`);
};

const stop = (signal) => {
  // The final "stopping" beat tells the supervisor this exit was asked for, not a crash.
  beat('stopping');
  process.stdout.write(`${new Date().toISOString()} sample-watcher stopping on ${signal}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

beat('healthy');
setInterval(() => beat('healthy'), intervalMs);
