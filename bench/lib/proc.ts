/** A process's CPU time and memory from /proc (Linux): what bench/idle.ts samples. */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds the process used so far. */
export async function cpuSeconds(pid: number, file = `/proc/${String(pid)}/stat`): Promise<number> {
  const stat = await readFile(file, 'utf8');
  // Fields after the command name, which may hold spaces and parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set now and its peak since the process started (VmRSS, VmHWM), in MB. */
export async function memoryMb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export interface IdleCost {
  /** Percent of one core over the window. */
  cpuPercent: number;
  rss: number;
  /** The highest of VmHWM (which includes the start-up) at the end of the window. */
  peak: number;
}

/** CPU share and memory of each of `pids` over `seconds` (sampled together, so one busy moment hits all). */
export async function idleCost(pids: number[], seconds: number): Promise<IdleCost[]> {
  const started = performance.now();
  const before = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await Promise.all(pids.map((pid) => cpuSeconds(pid)));
  const wall = (performance.now() - started) / 1000;
  return Promise.all(
    pids.map(async (pid, index) => {
      const { rss, peak } = await memoryMb(pid);
      return { cpuPercent: (100 * ((after[index] ?? 0) - (before[index] ?? 0))) / wall, rss, peak };
    }),
  );
}

/** CPU seconds per thread name (/proc/<pid>/task/<tid>/comm), threads of one name summed. */
export async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const tid of await readdir(`/proc/${String(pid)}/task`).catch(() => [])) {
    const name = await readFile(`/proc/${String(pid)}/task/${tid}/comm`, 'utf8').catch(() => '?');
    const seconds = await cpuSeconds(Number(tid), `/proc/${String(pid)}/task/${tid}/stat`).catch(() => 0);
    byName.set(name.trim(), (byName.get(name.trim()) ?? 0) + seconds);
  }
  return byName;
}

/** The Node process under `pid` (itself included) whose command line contains `text` (not a shell running it). */
export async function descendantRunning(pid: number, text: string): Promise<number | undefined> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (stat !== '') parents.set(Number(entry), ppid);
  }
  const under = (candidate: number): boolean => {
    for (let at: number | undefined = candidate; at !== undefined && at > 1; at = parents.get(at))
      if (at === pid) return true;
    return false;
  };
  for (const candidate of parents.keys()) {
    if (!under(candidate)) continue;
    const cmdline = await readFile(`/proc/${String(candidate)}/cmdline`, 'utf8').catch(() => '');
    const exe = await readlink(`/proc/${String(candidate)}/exe`).catch(() => '');
    if (exe === process.execPath && cmdline.split('\0').some((arg) => arg.includes(text))) return candidate;
  }
  return undefined;
}
