// Processes, tools and CPU/memory accounting for the benchmark (Linux /proc only).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export const IS_ROOT = process.getuid?.() === 0;
const CLK_TCK = 100;

export function log(line) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export function fail(message) {
  log(`FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (error) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${error.stderr || error.stdout || error.message}`, { cause: error });
  }
}

/** `cmd args` as the `postgres` OS user when we are root (initdb, postgres and pgbouncer refuse root). */
export function asPostgres(cmd, args) {
  return IS_ROOT ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/** Installs Debian packages when a tool is missing; only possible as root. */
export function ensureDebianPackage(path, pkg) {
  if (existsSync(path)) return;
  if (!IS_ROOT) fail(`${path} is missing: install the Debian package ${pkg} (apt-get install ${pkg}) or run as root`);
  log(`installing ${pkg} (apt-get)`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(path)) fail(`${pkg} installed but ${path} is still missing`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The middle value (the upper middle of an even count). */
/** The median; for an even count the mean of the middle two (not the better of them). */
export const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawns a long-running child; its output goes to `logFd`. */
export function spawnLogged(cmd, args, { env, logFd, cwd }) {
  return spawn(cmd, args, { env, cwd, stdio: ['ignore', logFd, logFd] });
}

export function waitForExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function childrenOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * CPU seconds used by a process tree so far: its own time, the time of children it has reaped
 * (cutime/cstime: PostgreSQL backends that disconnected) and the time of live descendants.
 */
export function treeCpuSeconds(pid) {
  const f = stat(pid);
  if (!f) return 0;
  const own = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return own / CLK_TCK + childrenOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpuSeconds() {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = v.map(Number);
  const idle = n[3] + n[4];
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** Peak resident set size (VmHWM) of a process in MiB, or undefined once it has exited. */
export function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function cpuModel() {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
