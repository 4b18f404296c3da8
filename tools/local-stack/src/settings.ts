import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Root of the repository, derived from this file's location (tools/local-stack/src). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Committed assets of the tool (ClickHouse config templates, log4j2 config). */
export const TOOL_ROOT = path.resolve(__dirname, '..');

export const HOST = '127.0.0.1';

export interface StackSettings {
  /** Data, logs, pid files: `<repo>/.stack` unless STACK_DIR is set. */
  stackDir: string;
  /** Machine-wide cache outside the work tree (the Kafka jars). */
  cacheDir: string;
  kafkaVersion: string;
  kafka: { port: number; controllerPort: number; readyTimeoutMs: number };
  clickhouse: { httpPort: number; tcpPort: number; readyTimeoutMs: number };
  postgres: { port: number; user: string; readyTimeoutMs: number };
}

export type Env = Record<string, string | undefined>;

const VERSION_RE = /^\d+\.\d+\.\d+$/;

/** Settings from the environment. Pure: the environment and home directory are parameters. */
export function resolveSettings(
  env: Env = process.env,
  home: string = os.homedir(),
): StackSettings {
  const stackDir = path.resolve(env['STACK_DIR'] || path.join(REPO_ROOT, '.stack'));
  const xdg = env['XDG_CACHE_HOME'] || path.join(home, '.cache');
  const cacheDir = path.resolve(env['PLATFORM_CACHE_DIR'] || path.join(xdg, 'streaming-platform'));
  const kafkaVersion = env['KAFKA_VERSION'] || '4.1.1';
  if (!VERSION_RE.test(kafkaVersion)) {
    throw new Error(`KAFKA_VERSION must look like 4.1.1, got "${kafkaVersion}"`);
  }
  return {
    stackDir,
    cacheDir,
    kafkaVersion,
    kafka: { port: 9092, controllerPort: 9093, readyTimeoutMs: 90_000 },
    clickhouse: { httpPort: 8123, tcpPort: 9000, readyTimeoutMs: 60_000 },
    postgres: { port: 5432, user: 'postgres', readyTimeoutMs: 60_000 },
  };
}

/**
 * ClickHouse and a private PostgreSQL run as their own users, which must be able to enter
 * every parent of their data directory. A checkout under a private home (mode 0700) cannot
 * host them, so their data then lives under /var/tmp instead, in a directory named after
 * the stack directory.
 */
export function serviceDataDir(
  stackDir: string,
  service: string,
  canEnter: (dir: string) => boolean = othersCanEnter,
): string {
  const preferred = path.join(stackDir, service);
  for (let dir = path.dirname(preferred); ; dir = path.dirname(dir)) {
    if (!canEnter(dir)) {
      const id = createHash('sha256').update(stackDir).digest('hex').slice(0, 12);
      return path.join('/var/tmp', `streaming-platform-${id}`, service);
    }
    if (dir === path.dirname(dir)) return preferred;
  }
}

/** A directory that does not exist yet will be created world-enterable (mode 0755). */
function othersCanEnter(dir: string): boolean {
  return !fs.existsSync(dir) || (fs.statSync(dir).mode & 0o001) !== 0;
}
