import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePackages } from './apt';
import { StackError } from './errors';
import {
  Account,
  httpRequest,
  systemAccount,
  ownedPid,
  portTakenError,
  run,
  runChecked,
  spawnDetached,
  stopProcess,
  tailFile,
  tcpOpen,
  timed,
  waitFor,
  which,
} from './process';
import { HOST, StackSettings, TOOL_ROOT, serviceDataDir } from './settings';
import { renderTemplate, xmlEscape } from './template';
import type { Logger, ServerStatus } from './types';

const PROCESS_MARKER = 'clickhouse-server';
const SUBDIRS = ['data', 'tmp', 'log', 'user_files', 'format_schemas'];

export interface ClickHouseConfigOptions {
  dir: string;
  httpPort: number;
  tcpPort: number;
}

/** Renders the committed config.xml template for a data directory. */
export function renderClickHouseConfig(template: string, o: ClickHouseConfigOptions): string {
  return renderTemplate(template, {
    DIR: xmlEscape(o.dir.replace(/\/+$/, '')),
    HTTP_PORT: o.httpPort,
    TCP_PORT: o.tcpPort,
  });
}

interface Paths {
  dir: string;
  config: string;
  users: string;
  pid: string;
  stdoutLog: string;
  serverLog: string;
  errLog: string;
}

function paths(s: StackSettings): Paths {
  const dir = serviceDataDir(s.stackDir, 'clickhouse');
  return {
    dir,
    config: path.join(dir, 'config.xml'),
    users: path.join(dir, 'users.xml'),
    pid: path.join(dir, 'clickhouse.pid'),
    stdoutLog: path.join(dir, 'log', 'stdout.log'),
    serverLog: path.join(dir, 'log', 'clickhouse-server.log'),
    errLog: path.join(dir, 'log', 'clickhouse-server.err.log'),
  };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function logTail(p: Paths): string {
  return [tailFile(p.errLog, 15), tailFile(p.stdoutLog, 15)].filter(Boolean).join('\n');
}

async function ping(s: StackSettings, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await httpRequest(`http://${HOST}:${s.clickhouse.httpPort}/ping`, { timeoutMs });
    return res.status === 200 && res.body.trim() === 'Ok.';
  } catch {
    return false;
  }
}

export async function startClickHouse(s: StackSettings, log: Logger): Promise<void> {
  const p = paths(s);
  const running = ownedPid(p.pid, PROCESS_MARKER);
  if (running !== null) {
    if (await waitFor(() => ping(s), { timeoutMs: s.clickhouse.readyTimeoutMs })) return;
    throw new StackError(
      `clickhouse: process ${running} is running but /ping does not answer; try npm run stack:down`,
      logTail(p),
    );
  }
  // A server that another checkout's stack (or the user) started is used as it is.
  if (await ping(s)) {
    log(`clickhouse: using the server already answering on ${HOST}:${s.clickhouse.httpPort}`);
    return;
  }
  for (const port of [s.clickhouse.httpPort, s.clickhouse.tcpPort]) {
    if (await tcpOpen(HOST, port))
      throw await portTakenError('clickhouse', HOST, port, 'Stop it before npm run stack:up.');
  }
  await ensurePackages(
    [
      { pkg: 'clickhouse-server', bin: 'clickhouse-server' },
      { pkg: 'clickhouse-client', bin: 'clickhouse-client' },
    ],
    log,
  );
  const server = which('clickhouse-server');
  if (!server) throw new StackError('clickhouse-server is not on PATH after installing it');

  for (const sub of SUBDIRS) fs.mkdirSync(path.join(p.dir, sub), { recursive: true });
  const template = fs.readFileSync(path.join(TOOL_ROOT, 'clickhouse', 'config.xml'), 'utf8');
  fs.writeFileSync(
    p.config,
    renderClickHouseConfig(template, {
      dir: p.dir,
      httpPort: s.clickhouse.httpPort,
      tcpPort: s.clickhouse.tcpPort,
    }),
  );
  fs.copyFileSync(path.join(TOOL_ROOT, 'clickhouse', 'users.xml'), p.users);

  let account: Account | null = null;
  if (isRoot()) {
    account = await systemAccount(
      'clickhouse',
      'reinstall clickhouse-server (apt-get install --reinstall clickhouse-server)',
    );
    await runChecked(
      'chown',
      ['-R', `${account.uid}:${account.gid}`, p.dir],
      `chown of ${p.dir} to the clickhouse user`,
    );
    const access = await run('/usr/bin/test', ['-w', path.join(p.dir, 'data')], {
      uid: account.uid,
      gid: account.gid,
    });
    if (access.code !== 0) {
      throw new StackError(
        `clickhouse: the clickhouse user cannot write to ${p.dir}; set STACK_DIR to a directory it can reach, e.g. /var/tmp/stack`,
      );
    }
  }

  log(
    `starting ClickHouse on ${HOST}:${s.clickhouse.httpPort} (logs: ${path.dirname(p.serverLog)})`,
  );
  await spawnDetached({
    cmd: server,
    args: [`--config-file=${p.config}`],
    logFile: p.stdoutLog,
    pidFile: p.pid,
    cwd: p.dir,
    env: account
      ? { ...process.env, HOME: account.home, USER: 'clickhouse', LOGNAME: 'clickhouse' }
      : process.env,
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
  });
  const ok = await waitFor(() => ping(s), {
    timeoutMs: s.clickhouse.readyTimeoutMs,
    intervalMs: 300,
    abortIf: () => {
      if (ownedPid(p.pid, PROCESS_MARKER) === null) {
        throw new StackError(
          `clickhouse: the server exited during start-up (logs: ${path.dirname(p.serverLog)})`,
          logTail(p),
        );
      }
    },
  });
  if (!ok)
    throw new StackError(
      `clickhouse: /ping did not answer within ${s.clickhouse.readyTimeoutMs / 1000} s`,
      logTail(p),
    );
}

export async function stopClickHouse(s: StackSettings, log: Logger): Promise<void> {
  const p = paths(s);
  const pid = ownedPid(p.pid, PROCESS_MARKER);
  if (pid === null) {
    fs.rmSync(p.pid, { force: true });
    return;
  }
  log(`stopping ClickHouse (pid ${pid})`);
  const how = await stopProcess(pid, 30_000);
  if (how === 'killed') log('ClickHouse did not stop within 30 s and was killed');
  fs.rmSync(p.pid, { force: true });
}

export async function clickhouseStatus(s: StackSettings): Promise<ServerStatus> {
  const p = paths(s);
  const address = `${HOST}:${s.clickhouse.httpPort}`;
  const pid = ownedPid(p.pid, PROCESS_MARKER);
  try {
    const { value, ms } = await timed(() =>
      httpRequest(
        `http://${HOST}:${s.clickhouse.httpPort}/?query=${encodeURIComponent('SELECT version()')}`,
        { timeoutMs: 3000 },
      ),
    );
    const healthy = value.status === 200;
    return {
      name: 'clickhouse',
      address,
      version: healthy ? value.body.trim() : null,
      healthy,
      latencyMs: ms,
      detail: healthy
        ? pid !== null
          ? `pid ${pid}`
          : 'not started by local-stack'
        : `HTTP ${value.status}: ${value.body.trim().slice(0, 200)}`,
    };
  } catch (err) {
    return {
      name: 'clickhouse',
      address,
      version: null,
      healthy: false,
      latencyMs: null,
      detail: (err as Error).message,
    };
  }
}
