import {
  APP_SECTIONS,
  GENERATOR_TEXT,
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

describe('the generator start time', () => {
  it('reads now, epoch ms and strict ISO-8601, and refuses what Date.parse would guess', () => {
    const read = GENERATOR_TEXT.startTime.read;
    expect(read('now')).toBe('now');
    expect(read('1704067200000')).toBe(1_704_067_200_000);
    expect(read('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(read('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(read('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(read('2024-01-01T02:00:00.5+02:00')).toBe(Date.UTC(2024, 0, 1, 0, 0, 0, 500));
    // Read by Date.parse as 2001-03-07, as 1 March twice, and in the machine's time zone.
    for (const loose of ['March 7', '2024-02-30', '2023-02-29', '2024-01-01T00:00:00'])
      expect([loose, read(loose)]).toEqual([loose, undefined]);
    expect(() => loadAppSettings(generatorSection, { GENERATOR_START_TIME: 'March 7' })).toThrow(
      /GENERATOR_START_TIME="March 7": expected now, epoch milliseconds, an ISO-8601 date/,
    );
  });
});
