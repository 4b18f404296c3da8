import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePackages } from './apt';
import { StackError } from './errors';
import {
  Account,
  run,
  runChecked,
  systemAccount,
  tailFile,
  tcpOpen,
  timed,
  waitFor,
  which,
} from './process';
import { HOST, StackSettings, serviceDataDir } from './settings';
import type { Logger, ServerStatus } from './types';

export interface DebianCluster {
  version: string;
  name: string;
  port: number;
  online: boolean;
}

/** Parses `pg_lsclusters --no-header` output. */
export function parseClusters(output: string): DebianCluster[] {
  const clusters: DebianCluster[] = [];
  for (const line of output.split('\n')) {
    const [version, name, port, state] = line.trim().split(/\s+/);
    if (!version || !name || !port || !state || !/^\d+(\.\d+)?$/.test(version)) continue;
    clusters.push({ version, name, port: Number(port), online: state.startsWith('online') });
  }
  return clusters;
}

/** Highest major version among /usr/lib/postgresql/<version> directory names. */
export function pickVersion(names: string[]): string | null {
  const versions = names
    .filter((n) => /^\d+(\.\d+)?$/.test(n))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ?? null;
}

/** What local-stack started, so that `down` stops only that. */
type Owned =
  | { mode: 'debian'; version: string; cluster: string }
  | { mode: 'private'; version: string; dataDir: string };

interface Paths {
  dir: string;
  dataDir: string;
  runDir: string;
  log: string;
  state: string;
}

function paths(s: StackSettings): Paths {
  const dir = serviceDataDir(s.stackDir, 'postgres');
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    runDir: path.join(dir, 'run'),
    log: path.join(dir, 'postgres.log'),
    state: path.join(dir, 'state.json'),
  };
}

function readOwned(p: Paths): Owned | null {
  try {
    return JSON.parse(fs.readFileSync(p.state, 'utf8')) as Owned;
  } catch {
    return null;
  }
}

export interface PgQueryResult {
  ok: boolean;
  value: string;
  error: string;
}

/** Runs one query with psql over TCP as the postgres user; never prompts for a password. */
export async function psqlQuery(s: StackSettings, sql: string): Promise<PgQueryResult> {
  const res = await run(
    'psql',
    [
      '-X',
      '-w',
      '-h',
      HOST,
      '-p',
      String(s.postgres.port),
      '-U',
      s.postgres.user,
      '-d',
      'postgres',
      '-At',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGCONNECT_TIMEOUT: '3' }, timeoutMs: 10_000 },
  ).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
  return {
    ok: res.code === 0,
    value: res.stdout.trim(),
    error: res.stderr.trim().split('\n')[0] ?? '',
  };
}

async function ready(s: StackSettings): Promise<boolean> {
  return (await psqlQuery(s, 'select 1')).ok;
}

async function debianClusters(): Promise<DebianCluster[]> {
  if (!which('pg_lsclusters')) return [];
  const res = await run('pg_lsclusters', ['--no-header']);
  return res.code === 0 ? parseClusters(res.stdout) : [];
}

function postgresAccount(): Promise<Account> {
  return systemAccount('postgres', 'reinstall postgresql (apt-get install --reinstall postgresql)');
}

function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new StackError(
      `postgres: nothing answers on ${HOST}:5432 and ${what} needs root; start PostgreSQL yourself (trust auth for user postgres on 127.0.0.1:5432)`,
    );
  }
}

async function waitReady(s: StackSettings, what: string, logFile: string): Promise<void> {
  if (await waitFor(() => ready(s), { timeoutMs: s.postgres.readyTimeoutMs, intervalMs: 300 }))
    return;
  const last = await psqlQuery(s, 'select 1');
  throw new StackError(
    `postgres: ${what} but psql cannot connect as ${s.postgres.user}@${HOST}:${s.postgres.port}: ${last.error}`,
    tailFile(logFile),
  );
}

async function startPrivateCluster(s: StackSettings, p: Paths, log: Logger): Promise<void> {
  const versions = fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql')
    : [];
  const version = pickVersion(versions);
  if (!version)
    throw new StackError(
      'postgres: no server binaries under /usr/lib/postgresql after installing postgresql',
    );
  const bin = path.join('/usr/lib/postgresql', version, 'bin');
  const account = await postgresAccount();
  fs.mkdirSync(p.runDir, { recursive: true });
  await runChecked(
    'chown',
    ['-R', `${account.uid}:${account.gid}`, p.dir],
    `chown of ${p.dir} to the postgres user`,
  );
  const asPg = {
    uid: account.uid,
    gid: account.gid,
    env: { ...process.env, HOME: account.home, USER: 'postgres', LOGNAME: 'postgres' },
  };
  if (!fs.existsSync(path.join(p.dataDir, 'PG_VERSION'))) {
    log(`initdb of a private PostgreSQL ${version} cluster in ${p.dataDir}`);
    await runChecked(
      path.join(bin, 'initdb'),
      ['-D', p.dataDir, '-U', s.postgres.user, '-A', 'trust', '-E', 'UTF8', '--no-instructions'],
      'initdb',
      {
        ...asPg,
        timeoutMs: 120_000,
      },
    );
  }
  // Sockets in .stack/postgres/run unless that path is too long for a Unix socket.
  const socketDir = p.runDir.length < 90 ? p.runDir : '/tmp';
  const opts = `-p ${s.postgres.port} -c listen_addresses=${HOST} -c unix_socket_directories=${socketDir}`;
  log(`starting the private PostgreSQL cluster on ${HOST}:${s.postgres.port} (log: ${p.log})`);
  fs.writeFileSync(
    p.state,
    JSON.stringify({ mode: 'private', version, dataDir: p.dataDir } satisfies Owned, null, 2),
  );
  await runChecked(
    path.join(bin, 'pg_ctl'),
    ['-D', p.dataDir, '-l', p.log, '-o', opts, '-w', '-t', '60', 'start'],
    'pg_ctl start',
    {
      ...asPg,
      timeoutMs: 90_000,
    },
  ).catch((err: unknown) => {
    throw err instanceof StackError
      ? new StackError(err.message, [err.details, tailFile(p.log)].filter(Boolean).join('\n'))
      : err;
  });
  await waitReady(s, 'the private cluster started', p.log);
}

export async function startPostgres(s: StackSettings, log: Logger): Promise<void> {
  const p = paths(s);
  await ensurePackages([{ pkg: 'postgresql-client', bin: 'psql' }], log);
  if (await tcpOpen(HOST, s.postgres.port)) {
    if (await waitFor(() => ready(s), { timeoutMs: 10_000, intervalMs: 300 })) return;
    const last = await psqlQuery(s, 'select 1');
    throw new StackError(
      `postgres: ${HOST}:${s.postgres.port} answers but psql cannot connect as ${s.postgres.user} without a password (${last.error}); local-stack expects trust auth for ${HOST}`,
    );
  }
  fs.mkdirSync(p.dir, { recursive: true });
  const owned = readOwned(p);
  if (owned?.mode === 'private') {
    requireRoot('starting the private cluster');
    await startPrivateCluster(s, p, log);
    return;
  }
  const clusters = (await debianClusters()).filter((c) => c.port === s.postgres.port);
  const cluster = clusters.find((c) => c.name === 'main') ?? clusters[0];
  if (cluster) {
    requireRoot('pg_ctlcluster');
    log(`starting the Debian PostgreSQL cluster ${cluster.version}/${cluster.name}`);
    const res = await run(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start'],
      { timeoutMs: 90_000 },
    );
    if (res.code !== 0 && !/already running/i.test(res.stderr)) {
      throw new StackError(
        `postgres: pg_ctlcluster ${cluster.version} ${cluster.name} start failed`,
        `${res.stdout}\n${res.stderr}`.trim(),
      );
    }
    fs.writeFileSync(
      p.state,
      JSON.stringify(
        { mode: 'debian', version: cluster.version, cluster: cluster.name } satisfies Owned,
        null,
        2,
      ),
    );
    await waitReady(
      s,
      `cluster ${cluster.version}/${cluster.name} started`,
      `/var/log/postgresql/postgresql-${cluster.version}-${cluster.name}.log`,
    );
    return;
  }
  requireRoot('installing PostgreSQL');
  await ensurePackages([{ pkg: 'postgresql', bin: 'pg_ctlcluster' }], log);
  await startPrivateCluster(s, p, log);
}

export async function stopPostgres(s: StackSettings, log: Logger): Promise<void> {
  const p = paths(s);
  const owned = readOwned(p);
  if (!owned) return;
  if (owned.mode === 'debian') {
    log(
      `stopping the Debian PostgreSQL cluster ${owned.version}/${owned.cluster} (started by local-stack)`,
    );
    await run(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', owned.version, owned.cluster, 'stop'],
      { timeoutMs: 90_000 },
    );
  } else {
    log(`stopping the private PostgreSQL cluster in ${owned.dataDir}`);
    const account = await postgresAccount();
    await run(
      path.join('/usr/lib/postgresql', owned.version, 'bin', 'pg_ctl'),
      ['-D', owned.dataDir, '-m', 'fast', '-w', 'stop'],
      {
        uid: account.uid,
        gid: account.gid,
        timeoutMs: 90_000,
      },
    );
  }
  fs.rmSync(p.state, { force: true });
}

export async function postgresStatus(s: StackSettings): Promise<ServerStatus> {
  const address = `${HOST}:${s.postgres.port}`;
  const owned = readOwned(paths(s));
  const who = owned
    ? `started by local-stack (${owned.mode === 'debian' ? `Debian cluster ${owned.version}/${owned.cluster}` : 'private cluster'})`
    : 'not started by local-stack';
  if (!which('psql')) {
    const { value, ms } = await timed(() => tcpOpen(HOST, s.postgres.port, 3000));
    return {
      name: 'postgres',
      address,
      version: null,
      healthy: value,
      latencyMs: value ? ms : null,
      detail: `TCP check only (psql missing), ${who}`,
    };
  }
  const { value, ms } = await timed(() => psqlQuery(s, 'SHOW server_version'));
  if (!value.ok)
    return {
      name: 'postgres',
      address,
      version: null,
      healthy: false,
      latencyMs: null,
      detail: value.error,
    };
  return {
    name: 'postgres',
    address,
    version: value.value.split(' ')[0] ?? value.value,
    healthy: true,
    latencyMs: ms,
    detail: who,
  };
}
