import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { StackError } from './errors';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}

/** Runs a command (no shell) and collects its output. Never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: opts.uid,
      gid: opts.gid,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = opts.timeoutMs;
    if (timeoutMs) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new StackError(
            `${cmd} ${args.join(' ')} timed out after ${Math.round(timeoutMs / 1000)} s`,
          ),
        );
      }, timeoutMs);
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new StackError(`command not found: ${cmd}`) : err);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like run(), but a non-zero exit becomes a StackError carrying the tail of the output. */
export async function runChecked(
  cmd: string,
  args: string[],
  what: string,
  opts: RunOptions = {},
): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    throw new StackError(
      `${what} failed (exit code ${res.code})`,
      lastLines(`${res.stdout}\n${res.stderr}`, 30),
    );
  }
  return res;
}

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on PATH (plus the usual sbin directories), or null. */
export function which(bin: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), ...EXTRA_PATH].filter(
    Boolean,
  );
  for (const dir of dirs) {
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function lastLines(text: string, n: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}

/** The last `n` lines of a file (reads at most the last 64 KiB), or '' when it does not exist. */
export function tailFile(file: string, n = 25): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return lastLines(buf.toString('utf8'), n);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export interface DetachedOptions {
  cmd: string;
  args: string[];
  logFile: string;
  pidFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a long-running server detached from this process (own process group), output appended to logFile. */
export function spawnDetached(opts: DetachedOptions): Promise<number> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(
    fd,
    `\n===== ${new Date().toISOString()} local-stack starting: ${opts.cmd} ${opts.args.join(' ')}\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(opts.cmd, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: opts.uid,
      gid: opts.gid,
    });
    fs.closeSync(fd);
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new StackError(`command not found: ${opts.cmd}`) : err);
    });
    child.once('spawn', () => {
      const pid = child.pid;
      if (pid === undefined) {
        reject(new StackError(`could not start ${opts.cmd}`));
        return;
      }
      child.unref();
      fs.writeFileSync(opts.pidFile, `${pid}\n`);
      resolve(pid);
    });
  });
}

export function readPidFile(pidFile: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) is not alive for our purposes.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The pid in pidFile if that process is alive and its command line contains `marker` (guards against pid reuse). */
export function ownedPid(pidFile: string, marker: string): number | null {
  const pid = readPidFile(pidFile);
  if (pid === null || !isAlive(pid)) return null;
  return cmdline(pid).includes(marker) ? pid : null;
}

/** SIGTERM, wait up to timeoutMs, then SIGKILL. Resolves when the process is gone. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<'stopped' | 'killed'> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  signal('SIGKILL');
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called between attempts; throw to abort the wait (e.g. the server process died). */
  abortIf?: () => void;
}

/** Polls `check` until it returns true. Returns false on timeout. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  opts: WaitOptions,
): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return true;
    opts.abortIf?.();
    if (Date.now() >= deadline) return false;
    await sleep(opts.intervalMs ?? 250);
  }
}

/** Whether something accepts TCP connections on host:port. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HttpResult {
  status: number;
  body: string;
}

export function httpRequest(
  url: string,
  opts: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', timeout: opts.timeoutMs ?? 2000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 2000} ms`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The process listening on a TCP port, best effort (needs `ss`), or null. */
export async function portListener(port: number): Promise<{ pid: number; name: string } | null> {
  if (!which('ss')) return null;
  try {
    const res = await run('ss', ['-H', '-ltnp', `sport = :${port}`], { timeoutMs: 5000 });
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(res.stdout);
    return m ? { pid: Number(m[2]), name: m[1] } : null;
  } catch {
    return null;
  }
}

/** Best-effort description of the process listening on a TCP port ("pid 123 (java)"), or null. */
export async function portOwner(port: number): Promise<string | null> {
  const listener = await portListener(port);
  return listener ? `pid ${listener.pid} (${listener.name})` : null;
}

/** A clear error for "the port is taken by something that is not ours". */
export async function portTakenError(
  name: string,
  host: string,
  port: number,
  hint: string,
): Promise<StackError> {
  const owner = await portOwner(port);
  return new StackError(
    `${name}: ${host}:${port} is already in use by ${owner ?? 'another process'} that local-stack did not start. ${hint}`,
  );
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export interface Account {
  uid: number;
  gid: number;
  home: string;
}

/** Parses one line of `getent passwd`. */
export function parsePasswdLine(line: string): Account | null {
  const f = line.trim().split(':');
  if (f.length < 7) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { uid, gid, home: f[5] ?? '/' };
}

/** uid, gid and home of a system user (getent passwd), or a StackError with a hint. */
export async function systemAccount(name: string, hint: string): Promise<Account> {
  const res = await run('getent', ['passwd', name]);
  const account = res.code === 0 ? parsePasswdLine(res.stdout) : null;
  if (!account) throw new StackError(`the ${name} user does not exist; ${hint}`);
  return account;
}
