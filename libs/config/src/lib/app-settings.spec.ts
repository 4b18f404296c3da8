import {
  APP_SECTIONS,
  aggregatorSection,
  gatewaySection,
  generatorSection,
  loadAppSettings,
  readAppSection,
  registrySection,
} from './app-settings';
import { ConfigError } from './config.error';

describe(readAppSection.name, () => {
  it('says which keys came from a variable and which are defaults; blank variables count as unset', () => {
    const { value, sources } = readAppSection(gatewaySection, {
      PORT: ' 9000 ',
      HOST: '',
      GATEWAY_SUBSCRIPTIONS_ENABLED: '0',
    });
    expect(value).toMatchObject({ port: 9000, host: '0.0.0.0', subscriptionsEnabled: false });
    expect(sources).toMatchObject({
      port: 'env:PORT',
      host: 'default',
      subscriptionsEnabled: 'env:GATEWAY_SUBSCRIPTIONS_ENABLED',
    });
  });

  it('fails with one ConfigError whose issues name the section, key, variable and source', () => {
    let error: unknown;
    try {
      readAppSection(registrySection, { PORT: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'Invalid registry settings:\n  - PORT="-1": must be at least 0',
      issues: [{ path: ['registry', 'port'], source: 'env:PORT' }],
    });
  });

  it('gives every section a variable for each key and valid defaults', () => {
    for (const section of APP_SECTIONS) {
      expect(Object.keys(section.variables).sort()).toEqual(
        Object.keys(section.schema.shape).sort(),
      );
      expect(() => loadAppSettings(section, {})).not.toThrow();
    }
  });

  it('reads the aggregator, generator and registry variables, with their rules', () => {
    const aggregator = readAppSection(aggregatorSection, {
      AGGREGATOR_IDLE_TIMEOUT_MS: '0',
      AGGREGATOR_REPARTITION_PARTITIONS: '12',
      AGGREGATOR_AGGREGATIONS: 'a,b',
    });
    expect(aggregator.value).toMatchObject({
      idleTimeoutMs: null,
      repartitionPartitions: 12,
      aggregations: ['a', 'b'],
    });
    expect(aggregator.sources).toMatchObject({
      idleTimeoutMs: 'env:AGGREGATOR_IDLE_TIMEOUT_MS',
      concurrency: 'default',
    });
    expect(() =>
      loadAppSettings(aggregatorSection, { AGGREGATOR_SESSION_TIMEOUT_MS: '5999' }),
    ).toThrow('AGGREGATOR_SESSION_TIMEOUT_MS="5999": must be at least 6000');
    expect(loadAppSettings(generatorSection, { GENERATOR_RATE: '300/m' }).ratePerSec).toBe(5);
    expect(() =>
      loadAppSettings(generatorSection, { GENERATOR_OUT_OF_ORDER: '0.7', GENERATOR_LATE: '0.7' }),
    ).toThrow(/GENERATOR_LATE="0.7": must not exceed 1/);
    expect(loadAppSettings(registrySection, {}).dbSchema).toBe('schema_registry');
    expect(() => loadAppSettings(registrySection, { SCHEMA_REGISTRY_DB_SCHEMA: 'A-b' })).toThrow(
      /SCHEMA_REGISTRY_DB_SCHEMA="A-b"/,
    );
  });
});
