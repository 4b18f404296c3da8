import {
  DLQ_HEADERS,
  DLQ_MESSAGE_MAX_CHARS,
  deadLetterHeaders,
  toDeadLetterMessage,
  type DeadLetter,
} from './dead-letter';

const letter = (message = 'unknown magic byte 0x7b'): DeadLetter => ({
  key: Buffer.from('u1'),
  value: Buffer.from('{"not":"avro"}'),
  headers: { traceparent: '00-a-b-01', [DLQ_HEADERS.service]: 'spoofed' },
  source: { topic: 'events.purchase', partition: 2, offset: '9007199254740993' },
  error: { code: 'UNKNOWN_MAGIC_BYTE', message, retriable: false },
});

describe(deadLetterHeaders.name, () => {
  const now = new Date('2025-01-02T03:04:05.678Z');

  it('adds every dlq.* header and keeps the original headers', () => {
    expect(deadLetterHeaders(letter(), 'sink-writer', now)).toEqual({
      traceparent: '00-a-b-01',
      'dlq.error.code': 'UNKNOWN_MAGIC_BYTE',
      'dlq.error.message': 'unknown magic byte 0x7b',
      'dlq.error.retriable': 'false',
      'dlq.source.topic': 'events.purchase',
      'dlq.source.partition': '2',
      'dlq.source.offset': '9007199254740993',
      'dlq.timestamp': '2025-01-02T03:04:05.678Z',
      'dlq.service': 'sink-writer',
    });
  });

  it('caps a huge error message', () => {
    const headers = deadLetterHeaders(letter('x'.repeat(10_000)), 's', now);
    expect(String(headers[DLQ_HEADERS.errorMessage])).toHaveLength(DLQ_MESSAGE_MAX_CHARS);
  });
});

describe(toDeadLetterMessage.name, () => {
  it('keeps the original key and value bytes unchanged', () => {
    const l = letter();
    const m = toDeadLetterMessage(l, 'svc', new Date(0));
    expect(m.key).toBe(l.key);
    expect(m.value).toBe(l.value);
  });
});
