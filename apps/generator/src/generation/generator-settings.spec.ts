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
    expect(() =>
      readGeneratorSettings({
        GENERATOR_RATE: 'abc',
        GENERATOR_SEED: 'x',
        GENERATOR_AUTOSTART: 'maybe',
      }),
    ).toThrow(/GENERATOR_RATE="abc".*GENERATOR_SEED="x".*GENERATOR_AUTOSTART="maybe"/);
  });
});

describe(sessionGapForRate.name, () => {
  it('spaces sessions so event time keeps pace with the wall clock', () => {
    expect(sessionGapForRate(4.9)).toBeCloseTo(1000);
    expect(sessionGapForRate(1e9)).toBe(1);
  });
});
