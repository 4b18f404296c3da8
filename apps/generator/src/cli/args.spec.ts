import {
  parseArgs,
  parseDuration,
  parseFieldMap,
  parseRate,
  parseReplaySpeed,
  USAGE_EXIT_CODE,
} from './args';

describe(parseArgs.name, () => {
  it('parses a full run invocation', () => {
    const result = parseArgs([
      'run',
      '--domain',
      'ecommerce',
      '--env',
      'dev',
      '--rate',
      '5000/s',
      '--count',
      '100000',
      '--seed',
      '7',
      '--target',
      'kafka',
      '--out-of-order',
      '0.05',
      '--summary-json',
      '/tmp/s.json',
    ]);
    expect(result).toEqual({
      kind: 'run',
      args: expect.objectContaining({
        domain: 'ecommerce',
        env: 'dev',
        ratePerSec: 5000,
        count: 100_000,
        durationMs: undefined,
        seed: 7,
        target: 'kafka',
        outOfOrder: 0.05,
        outOfOrderMaxDelayMs: 30_000,
        summaryJson: '/tmp/s.json',
        dryRun: false,
        progress: true,
      }),
    });
  });

  it('takes the Kafka client of the producer: kafkajs by default, or librdkafka', () => {
    expect(parseArgs(['run', '--count', '10'])).toMatchObject({
      args: { kafkaClient: 'kafkajs' },
    });
    expect(parseArgs(['run', '--count', '10', '--kafka-client', 'librdkafka'])).toMatchObject({
      args: { kafkaClient: 'librdkafka' },
    });
    expect(parseArgs(['run', '--count', '10', '--kafka-client', 'java'])).toMatchObject({
      kind: 'exit',
      code: 2,
    });
  });

  it('parses the gateway target with its URL, write key and batch size', () => {
    const result = parseArgs([
      'run',
      '--count',
      '10',
      '--target',
      'gateway',
      '--gateway-url',
      'http://gw:8080/',
      '--write-key',
      'gwk_x',
      '--batch-size',
      '250',
    ]);
    expect(result).toMatchObject({
      kind: 'run',
      args: { target: 'gateway', gatewayUrl: 'http://gw:8080', writeKey: 'gwk_x', batchSize: 250 },
    });
  });

  it('parses a CSV replay: no count needed, no rate limit unless asked', () => {
    const result = parseArgs([
      'run',
      '--source',
      'csv',
      '--file',
      'events.csv',
      '--type-column',
      'kind',
      '--replay-speed',
      '10x',
    ]);
    expect(result).toMatchObject({
      kind: 'run',
      args: {
        source: 'csv',
        file: 'events.csv',
        typeColumn: 'kind',
        eventType: undefined,
        replaySpeed: 10,
        ratePerSec: Infinity,
        count: undefined,
      },
    });
  });

  it('takes a cron trigger and a trigger lock, and refuses a bad cron or both triggers', () => {
    const base = ['run', '--source', 'http-poll', '--url', 'http://api.local/x'];
    expect(parseArgs([...base, '--cron', '*/5 * * * *', '--trigger-lock', 'orders'])).toMatchObject(
      {
        kind: 'run',
        args: { trigger: { kind: 'cron', expression: '*/5 * * * *' }, triggerLock: 'orders' },
      },
    );
    expect(parseArgs(base)).toMatchObject({
      kind: 'run',
      args: { trigger: { kind: 'every', everyMs: 5_000 } },
    });
    const bad = parseArgs([...base, '--cron', '*/5 * *']);
    expect(bad).toMatchObject({ kind: 'exit', code: 2 });
    expect(bad.kind === 'exit' && bad.output).toMatch(/--cron.*exactly five, six, or seven/s);
    expect(parseArgs([...base, '--cron', '* * * * *', '--every', '10s'])).toMatchObject({
      kind: 'exit',
      code: 2,
    });
  });

  it('parses an HTTP poll with its mapping, plugins and plugin options', () => {
    const result = parseArgs([
      'run',
      '--source',
      'http-poll',
      '--url',
      'http://api.local/orders/?page=1',
      '--event-type',
      'purchase',
      '--every',
      '30s',
      '--json-path',
      '$.data.orders',
      '--map',
      'user_id=customer.id,revenue=total',
      '--map',
      'order_id=id',
      '--id-field',
      'id',
      '--plugin',
      './my-source.js',
      '--source-option',
      'topic=a=b',
      '--duration',
      '1h',
    ]);
    expect(result).toMatchObject({
      kind: 'run',
      args: {
        source: 'http-poll',
        url: 'http://api.local/orders/?page=1',
        eventType: 'purchase',
        trigger: { kind: 'every', everyMs: 30_000 },
        triggerLock: undefined,
        jsonPath: '$.data.orders',
        fieldMap: [
          { field: 'user_id', path: 'customer.id' },
          { field: 'revenue', path: 'total' },
          { field: 'order_id', path: 'id' },
        ],
        idField: 'id',
        requestTimeoutMs: 10_000,
        maxAttempts: 5,
        plugins: ['./my-source.js'],
        sourceOptions: { topic: 'a=b' },
      },
    });
  });

  it('uses defaults: 1000/s, seed 42, target kafka', () => {
    const result = parseArgs(['run', '--duration', '60s', '--dry-run', '--no-progress']);
    expect(result).toMatchObject({
      kind: 'run',
      args: {
        ratePerSec: 1000,
        seed: 42,
        target: 'kafka',
        durationMs: 60_000,
        dryRun: true,
        progress: false,
      },
    });
  });

  it.each([
    [
      ['run', '--rate', 'abc', '--count', '3'],
      /--rate <rate>' argument 'abc' is invalid. expected a positive rate/,
    ],
    [['run', '--count', '0'], /--count <n>' argument '0' is invalid/],
    [['run', '--count', '10', '--duration', '5s'], /cannot be used with option '--duration/],
    [['run', '--seed', '4.2', '--count', '1'], /--seed <n>' argument '4.2' is invalid/],
    [['run', '--count', '1', '--target', 'http'], /Allowed choices are kafka, gateway/],
    [['run', '--count', '1', '--target', 'gateway', '--write-key', ''], /needs a write key/],
    [['run', '--count', '1', '--batch-size', '0'], /--batch-size <n>' argument '0' is invalid/],
    [['run', '--count', '1', '--out-of-order', '1.5'], /between 0 and 1/],
    [['run', '--count', '1', '--out-of-order', '0.6', '--late', '0.6'], /must not exceed 1/],
    [['run', '--rate', '10/s'], /one of --count <n> or --duration <d> is required/],
    [['run', '--count', '1', '--registry', 'ftp://x'], /expected an http\(s\) URL/],
    [['walk'], /unknown command 'walk'/],
    [['run', '--source', 'csv', '--replay-speed', 'fast'], /expected a speed such as 1x/],
    [['run', '--source', 'http-poll', '--url', 'file:///x'], /expected an http\(s\) URL/],
    [['run', '--source', 'http-poll', '--map', 'user_id'], /expected field=path, got "user_id"/],
  ])('rejects %j with exit code 2 and a message', (argv, message) => {
    const result = parseArgs(argv);
    expect(result.kind).toBe('exit');
    if (result.kind !== 'exit') return;
    expect(result.code).toBe(USAGE_EXIT_CODE);
    expect(result.output).toMatch(message);
  });

  it('prints help with exit code 0', () => {
    const result = parseArgs(['run', '--help']);
    expect(result).toMatchObject({ kind: 'exit', code: 0 });
    if (result.kind === 'exit') expect(result.output).toContain('--out-of-order <fraction>');
  });
});

describe(parseRate.name, () => {
  it.each([
    ['5000/s', 5000],
    ['5000', 5000],
    ['300/m', 5],
    ['2/ms', 2000],
    ['3600/h', 1],
    ['max', Infinity],
  ])('reads %s as %s events a second', (text, rate) => {
    expect(parseRate(text)).toBe(rate);
  });
});

describe(parseReplaySpeed.name, () => {
  it.each([
    ['1x', 1],
    ['0.5x', 0.5],
    ['20', 20],
    ['max', Infinity],
  ])('reads %s as %s', (text, speed) => {
    expect(parseReplaySpeed(text)).toBe(speed);
  });
});

describe(parseFieldMap.name, () => {
  it('appends to earlier mappings', () => {
    expect(parseFieldMap('b=x.y', [{ field: 'a', path: 'z' }])).toEqual([
      { field: 'a', path: 'z' },
      { field: 'b', path: 'x.y' },
    ]);
  });
});

describe(parseDuration.name, () => {
  it('reads units and bare milliseconds', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1500')).toBe(1_500);
    expect(() => parseDuration('soon')).toThrow(/positive duration/);
  });
});
