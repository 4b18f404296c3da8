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
