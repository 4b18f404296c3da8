import { ConfigError } from '@platform/config';
import { readSettings } from '../pipeline/settings';
import { parseArgs } from './args';

describe('parseArgs', () => {
  it('reads a mode and its options', () => {
    expect(
      parseArgs([
        'run-once',
        '--aggregation',
        'a,b',
        '--aggregation',
        'c',
        '--console',
        '--no-transactions',
      ]),
    ).toEqual({
      kind: 'args',
      args: { mode: 'run-once', aggregations: ['a', 'b', 'c'], console: true, transactions: false },
    });
  });

  it('answers usage errors with exit code 2', () => {
    expect(parseArgs([])).toMatchObject({ kind: 'exit', code: 2 });
    expect(parseArgs(['run', '--bogus'])).toMatchObject({ kind: 'exit', code: 2 });
    expect(parseArgs(['run', '--aggregation'])).toMatchObject({ kind: 'exit', code: 2 });
    expect(parseArgs(['--help'])).toMatchObject({ kind: 'exit', code: 0 });
  });
});

describe('readSettings', () => {
  it('has defaults', () => {
    const s = readSettings({});
    expect(s).toMatchObject({
      appId: 'aggregator',
      transactions: true,
      repartitionPartitions: null,
      aggregations: null,
      idleTimeoutMs: null,
      transactionTimeoutMs: 60_000,
      crashInFinalFlush: false,
      port: 8092,
    });
  });

  it('prefixes the app id with the namespace and reads lists and flags', () => {
    const s = readSettings({
      NAMESPACE: 'run1',
      AGGREGATOR_AGGREGATIONS: 'a, b',
      AGGREGATOR_TRANSACTIONS: 'false',
      AGGREGATOR_REPARTITION_PARTITIONS: '6',
      AGGREGATOR_INSTANCE_ID: 'i-1',
    });
    expect(s).toMatchObject({
      appId: 'run1.aggregator',
      aggregations: ['a', 'b'],
      transactions: false,
      repartitionPartitions: 6,
      instanceId: 'i-1',
    });
  });

  it('reads the idle timeout (0: off) and the transaction timeout', () => {
    expect(readSettings({ AGGREGATOR_IDLE_TIMEOUT_MS: '5000' }).idleTimeoutMs).toBe(5_000);
    expect(readSettings({ AGGREGATOR_IDLE_TIMEOUT_MS: '0' }).idleTimeoutMs).toBeNull();
    expect(readSettings({ AGGREGATOR_TRANSACTION_TIMEOUT_MS: '900000' }).transactionTimeoutMs).toBe(
      900_000,
    );
  });

  it('lists every bad variable in one error', () => {
    const read = (): unknown =>
      readSettings({ AGGREGATOR_APP_ID: 'bad id', AGGREGATOR_SESSION_TIMEOUT_MS: '10' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/AGGREGATOR_APP_ID[\s\S]*AGGREGATOR_SESSION_TIMEOUT_MS/);
  });
});
