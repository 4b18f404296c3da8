import { groupByReason, parseCoordinates, storedDeadLetter } from './dead-letter-view';

const letter = (offset: string, message: string, at: string) =>
  storedDeadLetter({
    topic: 'dlq.sink-writer',
    partition: 1,
    offset,
    timestamp: 0,
    key: null,
    value: Buffer.from('x'),
    headers: {
      trace: 't',
      'dlq.error.code': 'DECODE_FAILED',
      'dlq.error.message': message,
      'dlq.error.retriable': 'false',
      'dlq.source.topic': 'events.page_view',
      'dlq.source.partition': '2',
      'dlq.source.offset': '40',
      'dlq.service': 'sink-writer',
      'dlq.timestamp': at,
    },
  });

describe('dead letters read back', () => {
  it('reads the dlq headers and keeps only the original ones', () => {
    const l = letter('5', 'not Avro', '2024-01-01T00:00:00.000Z');
    expect(l.at).toEqual({ topic: 'dlq.sink-writer', partition: 1, offset: '5' });
    expect(l.source).toEqual({ topic: 'events.page_view', partition: 2, offset: '40' });
    expect(l.error).toEqual({ code: 'DECODE_FAILED', message: 'not Avro', retriable: false });
    expect(l.headers).toEqual({ trace: 't' });
  });

  it('groups by service, code and reason, the largest group first', () => {
    const groups = groupByReason([
      letter('1', 'a', '2024-01-01T00:00:02.000Z'),
      letter('2', 'b', '2024-01-01T00:00:01.000Z'),
      letter('3', 'b', '2024-01-01T00:00:03.000Z'),
    ]);
    expect(groups.map((g) => [g.message, g.count, g.firstFailedAt, g.lastFailedAt])).toEqual([
      ['b', 2, '2024-01-01T00:00:01.000Z', '2024-01-01T00:00:03.000Z'],
      ['a', 1, '2024-01-01T00:00:02.000Z', '2024-01-01T00:00:02.000Z'],
    ]);
  });

  it('parses topic:partition:offset', () => {
    expect(parseCoordinates('dlq.a:b:0:12')).toEqual({
      topic: 'dlq.a:b',
      partition: 0,
      offset: '12',
    });
    expect(parseCoordinates('dlq.a:x:1')).toBeUndefined();
  });
});
