import { ConfigError } from './config.error';
import { loadWithProvenance } from './loader';
import { makeConfigTree, type ConfigTree } from './testing/config-tree';

/** The keys a deployment onto operators sets: topics owned by Strimzi, a ClickHouse cluster, PEM from Secrets. */
describe('deployment keys', () => {
  let tree: ConfigTree;
  beforeEach(() => {
    tree = makeConfigTree({});
  });
  afterEach(() => tree.remove());

  const load = (env: Record<string, string>) =>
    loadWithProvenance({ configDir: tree.configDir, env });

  it('creates topics and uses one ClickHouse server by default', async () => {
    const { config } = await load({});
    expect(config.kafka.create_topics ?? true).toBe(true);
    expect(config.clickhouse.cluster).toBeUndefined();
  });

  it('reads KAFKA_CREATE_TOPICS and CLICKHOUSE_CLUSTER', async () => {
    const loaded = await load({ KAFKA_CREATE_TOPICS: 'false', CLICKHOUSE_CLUSTER: 'replicated' });
    expect(loaded.config.kafka.create_topics).toBe(false);
    expect(loaded.config.clickhouse.cluster).toBe('replicated');
    expect(loaded.provenance.get('kafka.create_topics')).toBe('env:KAFKA_CREATE_TOPICS');
    expect(loaded.provenance.get('clickhouse.cluster')).toBe('env:CLICKHOUSE_CLUSTER');
  });

  it.each([
    [{ KAFKA_CREATE_TOPICS: 'nope' }, 'kafka.create_topics'],
    [{ CLICKHOUSE_CLUSTER: 'a cluster; DROP' }, 'clickhouse.cluster'],
  ])('refuses %j naming %s', async (env, path) => {
    const error = await load(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(path);
  });

  it('keeps a PEM certificate from a Secret as written (YAML would fold its lines)', async () => {
    const pem =
      '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAbc=\n-----END CERTIFICATE-----\n';
    const { config } = await load({
      PLATFORM__kafka__ssl__ca: pem,
      PLATFORM__kafka__sasl__mechanism: 'scram-sha-512',
      PLATFORM__kafka__sasl__username: 'sink-writer',
      PLATFORM__kafka__sasl__password: 'secret',
    });
    expect(config.kafka.ssl).toEqual({ ca: pem });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'sink-writer',
      password: 'secret',
    });
  });
});
