// A watcher that always crashes: heartbeats, then exits 1 after --crash-after-ms. When the file named
// by --healthy-file exists at start it behaves instead (heartbeats until SIGTERM), so a test can
// "fix" the watcher before an operator resumes it. No dependencies on purpose.
//
// Usage: node crashing-watcher.mjs <heartbeat-file> [--crash-after-ms=400] [--interval-ms=50] [--healthy-file=F]
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { setInterval, setTimeout } from 'node:timers';

const [heartbeatFile, ...rest] = process.argv.slice(2);
const option = (name, fallback) => rest.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const crashAfterMs = Number(option('crash-after-ms', '400'));
const intervalMs = Number(option('interval-ms', '50'));
const healthyFile = option('healthy-file', '');

const beat = (status) => {
  const tmp = join(dirname(heartbeatFile), `.${basename(heartbeatFile)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify({ unix_ts: Date.now() / 1000, status, pid: process.pid })}\n`);
  renameSync(tmp, heartbeatFile);
};

process.on('SIGTERM', () => process.exit(0));
beat('healthy');
setInterval(() => beat('healthy'), intervalMs);
if (!(healthyFile !== '' && existsSync(healthyFile))) {
  setTimeout(() => {
    process.stderr.write('crashing-watcher: crashing on purpose\n');
    process.exit(1);
  }, crashAfterMs);
}
