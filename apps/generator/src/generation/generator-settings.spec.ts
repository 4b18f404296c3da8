import { ConfigError, generatorSection, readAppSection } from '@platform/config';
import {
  parseCount,
  parseDuration,
  parseFraction,
  parseRate,
  parseSeed,
  parseStartTime,
} from '../cli/args';
import { readGeneratorSettings, sessionGapForRate } from './generator-settings';

describe(readGeneratorSettings.name, () => {
  it('has defaults for every setting', () => {
    expect(readGeneratorSettings({})).toEqual({
      ratePerSec: 100,
      kafkaClient: 'kafkajs',
      seed: 42,
      users: 100,
      startTime: 'now',
      outOfOrder: undefined,
      lateBeyond: undefined,
      autostart: true,
    });
  });

  it('reads late delivery settings', () => {
    const s = readGeneratorSettings({
      GENERATOR_OUT_OF_ORDER: '0.1',
      GENERATOR_OUT_OF_ORDER_MAX_DELAY: '10s',
      GENERATOR_LATE: '0.01',
    });
    expect(s.outOfOrder).toEqual({ fraction: 0.1, maxDelayMs: 10_000 });
    expect(s.lateBeyond).toEqual({ fraction: 0.01, delayMs: 300_000 });
  });

  it('reads the Kafka client of the producer', () => {
    expect(readGeneratorSettings({ GENERATOR_KAFKA_CLIENT: 'librdkafka' }).kafkaClient).toBe(
      'librdkafka',
    );
    expect(() => readGeneratorSettings({ GENERATOR_KAFKA_CLIENT: 'java' })).toThrow(
      /GENERATOR_KAFKA_CLIENT="java": expected kafkajs or librdkafka/,
    );
  });

  it('lists every bad variable in one error', () => {
    const read = (): unknown =>
      readGeneratorSettings({
        GENERATOR_RATE: 'abc',
        GENERATOR_SEED: 'x',
        GENERATOR_AUTOSTART: 'maybe',
      });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      /GENERATOR_RATE="abc"[\s\S]*GENERATOR_SEED="x"[\s\S]*GENERATOR_AUTOSTART="maybe"/,
    );
  });

  it('refuses an unlimited rate and fractions adding up to more than 1', () => {
    expect(() => readGeneratorSettings({ GENERATOR_RATE: 'max' })).toThrow(/GENERATOR_RATE="max"/);
    expect(() =>
      readGeneratorSettings({ GENERATOR_OUT_OF_ORDER: '0.6', GENERATOR_LATE: '0.5' }),
    ).toThrow(/GENERATOR_LATE="0.5": must not exceed 1 together with GENERATOR_OUT_OF_ORDER/);
  });

  it('reads each variable as the CLI reads its flag', () => {
    const cases: readonly [string, string, (text: string) => unknown][] = [
      ['GENERATOR_RATE', '300/m', parseRate],
      ['GENERATOR_RATE', '2/ms', parseRate],
      ['GENERATOR_SEED', '-7', parseSeed],
      ['GENERATOR_USERS', '1_000', parseCount],
      ['GENERATOR_START_TIME', '2026-01-01T00:00:00Z', parseStartTime],
      ['GENERATOR_START_TIME', '1700000000000', parseStartTime],
      ['GENERATOR_OUT_OF_ORDER', '0.25', parseFraction],
      ['GENERATOR_OUT_OF_ORDER_MAX_DELAY', '1.5s', parseDuration],
      ['GENERATOR_LATE_DELAY', '2500', parseDuration],
    ];
    const keyOf = Object.fromEntries(
      Object.entries(generatorSection.variables).map(([key, variable]) => [variable, key]),
    );
    for (const [variable, text, parse] of cases) {
      const { value } = readAppSection(generatorSection, { [variable]: text });
      expect([variable, value[keyOf[variable] as keyof typeof value]]).toEqual([
        variable,
        parse(text),
      ]);
    }
    for (const [variable, text, parse] of [
      ['GENERATOR_USERS', '0', parseCount],
      ['GENERATOR_OUT_OF_ORDER', '1.5', parseFraction],
      ['GENERATOR_LATE_DELAY', '-5s', parseDuration],
    ] as const) {
      expect(() => parse(text)).toThrow();
      expect(() => readAppSection(generatorSection, { [variable]: text })).toThrow(ConfigError);
    }
  });
});

describe(sessionGapForRate.name, () => {
  it('spaces sessions so event time keeps pace with the wall clock', () => {
    expect(sessionGapForRate(4.9)).toBeCloseTo(1000);
    expect(sessionGapForRate(1e9)).toBe(1);
  });
});
