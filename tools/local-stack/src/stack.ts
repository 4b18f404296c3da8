import * as fs from 'node:fs';
import * as path from 'node:path';
import { clickhouseStatus, startClickHouse, stopClickHouse } from './clickhouse';
import { ensurePackages } from './apt';
import { StackError } from './errors';
import { kafkaStatus, restartKafka, startKafka, stopKafka } from './kafka';
import { postgresStatus, startPostgres, stopPostgres } from './postgres';
import { isAlive, readPidFile, sleep } from './process';
import { resolveSettings, StackSettings } from './settings';
import type { Logger, ServerStatus } from './types';

export type { ServerStatus } from './types';
export { resolveSettings } from './settings';
export { StackError } from './errors';

export interface StackOptions {
  settings?: StackSettings;
  /** Progress lines; silent by default when used programmatically. */
  log?: Logger;
}

const silent: Logger = () => undefined;

/** One status line per server: name, address, version, health, latency, detail. */
export function formatStatusLine(st: ServerStatus): string {
  const latency =
    st.latencyMs === null
      ? '-'
      : `${st.latencyMs < 10 ? st.latencyMs.toFixed(1) : Math.round(st.latencyMs)} ms`;
  return [
    st.name.padEnd(11),
    st.address.padEnd(16),
    (st.version ?? '-').padEnd(10),
    (st.healthy ? 'healthy' : 'DOWN').padEnd(8),
    latency.padStart(8),
    st.detail ? `  ${st.detail}` : '',
  ]
    .join(' ')
    .trimEnd();
}

export function formatStatus(all: ServerStatus[]): string {
  return all.map(formatStatusLine).join('\n');
}

/** Serializes concurrent `up`/`down` runs (a CLI and a Jest global setup, say) with a lock file. */
async function withLock<T>(s: StackSettings, log: Logger, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(s.stackDir, { recursive: true });
  const lock = path.join(s.stackDir, 'stack.lock');
  const deadline = Date.now() + 600_000;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPidFile(lock);
      if (holder === null || !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(
          `another local-stack run (pid ${holder}) has held ${lock} for 10 minutes`,
        );
      if (!told) log(`waiting for another local-stack run (pid ${holder}) to finish`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Starts whatever is not running yet and waits until all three servers answer. Idempotent. */
export async function up(opts: StackOptions = {}): Promise<ServerStatus[]> {
  const s = opts.settings ?? resolveSettings();
  const log = opts.log ?? silent;
  return withLock(s, log, async () => {
    await ensurePackages([{ pkg: 'kcat', bin: 'kcat' }], log);
    await startPostgres(s, log);
    await startClickHouse(s, log);
    await startKafka(s, log);
    const all = await status({ settings: s });
    const down = all.filter((x) => !x.healthy);
    if (down.length)
      throw new StackError(
        `started, but not healthy: ${down.map((x) => x.name).join(', ')}`,
        formatStatus(all),
      );
    return all;
  });
}

/** Stops the servers local-stack started (Kafka, ClickHouse, and PostgreSQL only when it started it). Data is kept. */
export async function down(opts: StackOptions = {}): Promise<void> {
  const s = opts.settings ?? resolveSettings();
  const log = opts.log ?? silent;
  await withLock(s, log, async () => {
    await stopKafka(s, log);
    await stopClickHouse(s, log);
    await stopPostgres(s, log);
  });
}

/** Restarts the Kafka broker that local-stack started (SIGTERM: clean; SIGKILL: a crash). */
export async function restartBroker(
  signal: 'SIGTERM' | 'SIGKILL',
  opts: StackOptions = {},
): Promise<void> {
  const s = opts.settings ?? resolveSettings();
  const log = opts.log ?? silent;
  await withLock(s, log, () => restartKafka(s, log, signal));
}

export async function status(opts: StackOptions = {}): Promise<ServerStatus[]> {
  const s = opts.settings ?? resolveSettings();
  return Promise.all([kafkaStatus(s), clickhouseStatus(s), postgresStatus(s)]);
}
