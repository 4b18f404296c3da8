/** What the pipeline benchmarks share: a topic namespace, the generator's run into it, cleanup. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, type PlatformConfig } from '@platform/config';
import { TopicAdmin, createKafka, silentSink } from '@platform/messaging';
import { runTs } from '@platform/testing';

export interface GeneratorSummary {
  readonly ok: boolean;
  readonly sent: number;
  readonly elapsedMs: number;
  readonly ratePerSec: number;
  readonly countsByType: Readonly<Record<string, number>>;
  readonly topics: Readonly<Record<string, string>>;
}

/** Topic prefixes of one benchmark run, as `PLATFORM__topics__*` variables. */
export function topicEnv(prefix: string): Record<string, string> {
  return {
    ENVIRONMENT: 'test',
    PLATFORM__topics__events: `${prefix}_events`,
    PLATFORM__topics__dlq: `${prefix}_dlq`,
    PLATFORM__topics__aggregates: `${prefix}_aggregates`,
    PLATFORM__topics__late: `${prefix}_late`,
  };
}

export function testConfig(): Promise<PlatformConfig> {
  return load({ environment: 'test' });
}

/** The generator options every bench input is made with: `count` events, seed 7, no rate limit. */
export function generatorArgs(count: number): string[] {
  return ['--env', 'test', '--count', String(count), '--seed', '7', '--rate', 'max'];
}

/**
 * `generator run --count N --rate max --target kafka` into the run's topics, as a child
 * process: its TypeScript sources under ts-node, or the `cli.js` of its bundle. Returns its
 * summary (its own timing covers the sending only) and the wall time of the whole process,
 * start-up included.
 */
export async function runGenerator(
  prefix: string,
  count: number,
  registryUrl: string,
  env: Record<string, string> = {},
  entry = 'apps/generator/src/cli.ts',
): Promise<{ summary: GeneratorSummary; wallSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gen-'));
  const file = join(dir, 'summary.json');
  try {
    const started = performance.now();
    const run = await runTs(
      entry,
      [
        'run',
        ...generatorArgs(count),
        '--target',
        'kafka',
        '--registry',
        registryUrl,
        '--no-progress',
        '--summary-json',
        file,
      ],
      { ...topicEnv(prefix), ...env },
      600_000,
    );
    const wallSeconds = (performance.now() - started) / 1000;
    if (run.code !== 0) throw new Error(`generator failed (${run.code}):\n${run.stderr}`);
    return { summary: JSON.parse(readFileSync(file, 'utf8')) as GeneratorSummary, wallSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Records in `topic` (high − low watermark over its partitions). */
export async function topicSize(admin: TopicAdmin, topic: string): Promise<number> {
  return (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high - p.low), 0);
}

/** Connects an admin client, runs `fn`, disconnects. */
export async function withTopicAdmin<T>(fn: (admin: TopicAdmin) => Promise<T>): Promise<T> {
  const config = await testConfig();
  const admin = new TopicAdmin(
    createKafka(config.kafka, { clientId: 'bench', logger: silentSink, logLevel: 'error' }),
  );
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export function deleteTopicsWithPrefix(prefix: string): Promise<void> {
  return withTopicAdmin((admin) => admin.deleteTopicsWithPrefix(prefix));
}
