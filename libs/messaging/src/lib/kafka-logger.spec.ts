import { logLevel } from 'kafkajs';
import {
  createKafkaLogCreator,
  jsonLineSink,
  nestLoggerSink,
  type KafkaLogRecord,
} from './kafka-logger';

describe(createKafkaLogCreator.name, () => {
  const entry = {
    namespace: 'Connection',
    level: logLevel.WARN,
    label: 'WARN',
    log: {
      timestamp: '2024-01-01T00:00:00.000Z',
      logger: 'kafkajs',
      message: 'Response timeout',
      broker: 'b1:9092',
    },
  };

  it('emits one flat record per entry, with kafkajs extras under fields', () => {
    const records: KafkaLogRecord[] = [];
    createKafkaLogCreator({ sink: (r) => records.push(r), clientId: 'gw' })(logLevel.INFO)(entry);
    expect(records).toEqual([
      {
        time: '2024-01-01T00:00:00.000Z',
        level: 'warn',
        event: 'kafkajs.log',
        namespace: 'Connection',
        message: 'Response timeout',
        clientId: 'gw',
        fields: { broker: 'b1:9092' },
      },
    ]);
  });

  it('survives a sink that throws', () => {
    const log = createKafkaLogCreator({
      sink: () => {
        throw new Error('disk full');
      },
    })(logLevel.INFO);
    expect(() => log(entry)).not.toThrow();
  });

  it('ignores empty secrets instead of redacting every character', () => {
    const records: KafkaLogRecord[] = [];
    createKafkaLogCreator({ sink: (r) => records.push(r), secrets: [''] })(logLevel.INFO)(entry);
    expect(records[0]?.message).toBe('Response timeout');
  });
});

describe(jsonLineSink.name, () => {
  it('writes one JSON object per line', () => {
    const lines: string[] = [];
    const sink = jsonLineSink((l) => lines.push(l));
    sink({
      time: 't',
      level: 'info',
      event: 'kafkajs.log',
      namespace: 'n',
      message: 'm',
      fields: {},
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', message: 'm' });
  });
});

describe(nestLoggerSink.name, () => {
  it('routes each level to the matching Nest logger method', () => {
    const calls: string[] = [];
    const sink = nestLoggerSink({
      error: () => void calls.push('error'),
      warn: () => void calls.push('warn'),
      log: () => void calls.push('log'),
      debug: () => void calls.push('debug'),
    });
    for (const level of ['error', 'warn', 'info', 'debug'] as const) {
      sink({ time: 't', level, event: 'kafkajs.log', namespace: 'n', message: 'm', fields: {} });
    }
    expect(calls).toEqual(['error', 'warn', 'log', 'debug']);
  });
});
