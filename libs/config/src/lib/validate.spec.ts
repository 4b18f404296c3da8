import { invalidConfig, MASK } from './validate';

describe(invalidConfig.name, () => {
  it('masks resolved secret values in every message, but values too short to be told from words', () => {
    const error = invalidConfig(
      [
        { path: ['postgres', 'url'], message: 'cannot parse postgres://app:hunter22@db/app' },
        { path: ['kafka', 'sasl'], source: 'platform.yaml', message: 'abc is not a mechanism' },
      ],
      ['hunter22', 'abc'],
    );
    expect(error.issues.map((i) => i.message)).toEqual([
      `cannot parse postgres://app:${MASK}@db/app`,
      'abc is not a mechanism',
    ]);
    expect(error.message).toBe(
      [
        'Invalid configuration:',
        `  - postgres.url: cannot parse postgres://app:${MASK}@db/app`,
        '  - kafka.sasl (platform.yaml): abc is not a mechanism',
      ].join('\n'),
    );
    expect(error.message).not.toContain('hunter22');
  });
});
