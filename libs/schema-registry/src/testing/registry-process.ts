// Test support only (not exported from index.ts): our registry app (apps/schema-registry)
// started as a child process, so lib tests exercise the real service over HTTP without a
// lib importing an app.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';

const REPO_ROOT = join(__dirname, '../../../..');
const MAIN = 'apps/schema-registry/src/main.ts';
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' } as const;

export interface RegistryProcess {
  readonly url: string;
  readonly dbSchema: string;
  /** SIGTERM, then SIGKILL after a grace period; drops the PostgreSQL schema. */
  stop(): Promise<void>;
}

/** A fresh PostgreSQL schema name, a valid identifier for the app's `SCHEMA_REGISTRY_DB_SCHEMA`. */
export function uniqueDbSchema(prefix: string): string {
  return `sr_it_${prefix}_${randomBytes(4).toString('hex')}`;
}

export async function startRegistryProcess(
  options: { readonly dbSchema?: string; readonly readyTimeoutMs?: number } = {},
): Promise<RegistryProcess> {
  const dbSchema = options.dbSchema ?? uniqueDbSchema('client');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', MAIN],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SCHEMA_REGISTRY_DB_SCHEMA: dbSchema,
        ENVIRONMENT: 'test',
        TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const stop = async (): Promise<void> => {
    await terminate(child, exited);
    await dropDbSchema(dbSchema);
  };

  try {
    await waitForHealth(url, exited, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- registry output ---\n${output}`);
  }
  return { url, dbSchema, stop };
}

async function waitForHealth(
  url: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the registry exited with code ${exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the registry did not answer ${url}/healthz within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function dropDbSchema(dbSchema: string): Promise<void> {
  const client = new Client(PG);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
