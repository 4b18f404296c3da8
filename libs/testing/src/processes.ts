/**
 * Real processes for integration tests, benchmarks and end-to-end runs: this repo's
 * services started as child processes (a lib or a tool must not import an app, and a
 * child process is also the only honest way to kill one with SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export const REPO_ROOT = resolve(__dirname, '../../..');

/** TypeScript entry points run with decorator metadata (Nest needs it) and the path aliases. */
const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
const TS_ENV = { TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json') };

/** TypeScript through ts-node; a `.js` file (a built bundle, as an image runs it) with plain node. */
function tsArgs(entry: string): readonly string[] {
  return entry.endsWith('.js') ? [] : NODE_ARGS;
}

export const LOCAL_PG = {
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  database: 'postgres',
} as const;
export const LOCAL_CLICKHOUSE_URL = 'http://127.0.0.1:8123';

/** A fresh lower-case identifier, usable as a topic prefix, a database or a schema name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const address = probe.address();
  await new Promise((done) => probe.close(done));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an entry point of this repo to completion (killed after `timeoutMs`), as
 * {@link startProcess} starts one; `nodeArgs` go to node itself (`--cpu-prof`, which
 * NODE_OPTIONS refuses).
 */
export function runTs(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 300_000,
  nodeArgs: readonly string[] = [],
): Promise<ProcessResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeArgs, ...tsArgs(entry), entry, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TS_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** An event as `generator run --dry-run` prints it, one JSON line each. */
export interface GeneratedEvent {
  readonly eventType: string;
  readonly event: Record<string, unknown>;
}

/**
 * The events `generator run <options>` would send, in its order: the same command with
 * `--dry-run` (the same seed gives the same events), parsed.
 */
export async function generatorDryRun(options: readonly string[]): Promise<GeneratedEvent[]> {
  const run = await runTs('apps/generator/src/cli.ts', ['run', ...options, '--dry-run']);
  if (run.code !== 0) throw new Error(`generator --dry-run failed:\n${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const { eventType, event } = JSON.parse(line) as GeneratedEvent;
      return { eventType, event };
    });
}

export interface ChildService {
  readonly pid: number;
  /** The last few kilobytes the process printed, for failure messages. */
  output(): string;
  /** Resolves when the process has exited, with its code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGKILL: a crash, with no chance to flush or commit. */
  crash(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts an entry point of this repo and returns at once (a CLI to crash mid-run): TypeScript
 * through ts-node, or a `.js` file (a built bundle, as an image runs it) with plain node.
 */
export function startProcess(
  entry: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  cgroup?: string,
): ChildService {
  const command = [process.execPath, ...tsArgs(entry), entry, ...args];
  // The shell joins the cgroup, then becomes node (same pid): node starts under its limits.
  const [file, ...argv] =
    cgroup === undefined
      ? command
      : [
          '/bin/sh',
          '-c',
          'echo $$ > "$1" && shift && exec "$@"',
          'sh',
          join(cgroup, 'cgroup.procs'),
          ...command,
        ];
  const child = spawn(file as string, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...TS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    crash: () => terminate(child, exited, 'SIGKILL', 0),
    stop: (graceMs = 10_000) => terminate(child, exited, 'SIGTERM', graceMs),
  };
}

export interface ServiceProcess extends ChildService {
  readonly url: string;
}

export interface ServiceOptions {
  readonly entry: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
  /** Path polled until it answers 2xx. Default `/healthz`. */
  readonly healthPath?: string;
  readonly readyTimeoutMs?: number;
  /**
   * A cgroup directory the process joins before node starts, so that its limits (a memory
   * limit, as a container's) apply from the first byte and V8 sizes its heap from them.
   */
  readonly cgroup?: string;
}

/** Starts a service on a free port (`PORT`, `HOST`) and waits until it answers its health path. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startProcess(
    options.entry,
    options.args,
    { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    options.cgroup,
  );
  let running = true;
  void child.exited.then(() => (running = false));
  const healthUrl = `${url}${options.healthPath ?? '/healthz'}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline && running) {
    try {
      if ((await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) })).ok) {
        return { ...child, url };
      }
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  await child.stop(2_000);
  throw new Error(
    `${options.entry} did not become healthy at ${healthUrl}\n--- output ---\n${child.output()}`,
  );
}

async function terminate(
  child: ChildProcess,
  exited: Promise<number | null>,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
  await exited;
  if (timer) clearTimeout(timer);
}

export interface RegistryProcess extends ServiceProcess {
  readonly dbSchema: string;
}

/** apps/schema-registry in its own PostgreSQL schema; `stop` also drops the schema. */
export async function startSchemaRegistry(env: NodeJS.ProcessEnv = {}): Promise<RegistryProcess> {
  const dbSchema = uniqueName('sr_test');
  const service = await startService({
    entry: 'apps/schema-registry/src/main.ts',
    env: { ENVIRONMENT: 'test', SCHEMA_REGISTRY_DB_SCHEMA: dbSchema, ...env },
  });
  return {
    ...service,
    dbSchema,
    stop: async (graceMs) => {
      await service.stop(graceMs);
      await dropPgSchema(dbSchema);
    },
  };
}

export async function withPg<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(LOCAL_PG);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function dropPgSchema(schema: string): Promise<void> {
  return withPg(async (pg) => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  });
}

/** Runs one statement on the local ClickHouse over HTTP and returns the body. */
export async function clickhouse(sql: string): Promise<string> {
  const res = await fetch(LOCAL_CLICKHOUSE_URL, { method: 'POST', body: sql });
  const body = await res.text();
  if (!res.ok) throw new Error(`ClickHouse: ${body.trim()}`);
  return body;
}

export async function dropClickHouseDatabase(database: string): Promise<void> {
  await clickhouse(`DROP DATABASE IF EXISTS \`${database.replace(/`/g, '')}\``);
}

/** Polls `probe` until it returns true or the time is up; the last value decides. */
export async function eventually(
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 500 }: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}

/**
 * Restarts the local stack's Kafka broker (`npm run stack:restart-broker`): SIGTERM for a
 * clean shutdown, SIGKILL for a crash. Resolves once the broker answers again.
 */
export async function restartBroker(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const result = await runTs(
    'tools/local-stack/src/cli.ts',
    ['restart-broker', signal],
    {},
    180_000,
  );
  if (result.code !== 0) {
    throw new Error(
      `restart-broker ${signal} failed (${result.code}):\n${result.stderr}${result.stdout}`,
    );
  }
}
