import { runTs, startSchemaRegistry, uniqueName, type RegistryProcess } from '@platform/testing';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteTopicsWithPrefix, recordCounts } from './testing/kafka-topics';

const CLI = 'apps/generator/src/cli.ts';

describe('generator run --target kafka', () => {
  let registry: RegistryProcess;
  const prefix = uniqueName('it_gen');
  const summaryFile = join(tmpdir(), `${prefix}.summary.json`);

  beforeAll(async () => {
    registry = await startSchemaRegistry();
  });

  afterAll(async () => {
    await registry?.stop();
    await rm(summaryFile, { force: true });
    await deleteTopicsWithPrefix({}, `${prefix}.`);
  });

  it('writes exactly the summary per-type counts to each topic', async () => {
    const result = await runTs(
      CLI,
      [
        'run',
        '--env',
        'test',
        '--count',
        '2000',
        '--seed',
        '7',
        '--rate',
        'max',
        '--target',
        'kafka',
        '--registry',
        registry.url,
        '--summary-json',
        summaryFile,
      ],
      { PLATFORM__topics__events: prefix },
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('Done: 2,000 sent, 0 errors'),
    });

    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
      sent: number;
      countsByType: Record<string, number>;
      topics: Record<string, string>;
      revenueSum: number;
    };
    expect(summary.sent).toBe(2000);
    expect(Object.values(summary.countsByType).reduce((a, b) => a + b, 0)).toBe(2000);
    expect(summary.countsByType['purchase']).toBeGreaterThan(0);
    expect(summary.revenueSum).toBeGreaterThan(0);

    const topicOf = (type: string): string => `${prefix}.${type}`;
    const types = Object.keys(summary.countsByType);
    expect(types.map((type) => summary.topics[type])).toEqual(types.map(topicOf));
    expect(await recordCounts({}, types.map(topicOf))).toEqual(
      Object.fromEntries(types.map((type) => [topicOf(type), summary.countsByType[type]])),
    );
  });

  it('prints the same events for the same seed in a dry run', async () => {
    const args = [
      'run',
      '--env',
      'test',
      '--count',
      '300',
      '--seed',
      '7',
      '--rate',
      'max',
      '--dry-run',
      '--no-progress',
    ];
    const [a, b] = await Promise.all([runTs(CLI, args, {}), runTs(CLI, args, {})]);
    expect(a.code).toBe(0);
    expect(a.stdout.trim().split('\n')).toHaveLength(300);
    expect(a.stdout).toBe(b.stdout);
  });

  it('refuses the gateway target without a write key, with exit code 2', async () => {
    const result = await runTs(CLI, ['run', '--count', '1', '--target', 'gateway'], {
      GATEWAY_WRITE_KEY: '',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--target gateway needs a write key');
  });

  it('refuses a namespace that is not one with exit code 2 and a one-line reason', async () => {
    const result = await runTs(CLI, ['run', '--dry-run', '--count', '1', '--namespace', 'BAD-NS']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: Invalid namespace "BAD-NS"/);
    expect(result.stderr).not.toContain('uncaught_exception');
  });
});
