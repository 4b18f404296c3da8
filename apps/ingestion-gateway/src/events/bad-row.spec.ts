import { createHash } from 'node:crypto';
import { BAD_ROW_PAYLOAD_MAX_CHARS, buildBadRow, SCHEMA_VIOLATION } from './bad-row';

describe(buildBadRow.name, () => {
  const now = new Date('2024-05-01T10:00:00.000Z');

  it('builds a typed schema-violation bad row with the payload, failures, processor and time', () => {
    expect(
      buildBadRow({
        payload: { user_id: 5 },
        eventType: 'page_view',
        failures: [{ field: 'user_id', reason: 'expected a string, got integer' }],
        source: 'web',
        now,
      }),
    ).toEqual({
      schema: SCHEMA_VIOLATION,
      data: {
        payload: { user_id: 5 },
        payload_size: 13,
        payload_sha256: createHash('sha256').update('{"user_id":5}').digest('hex'),
        event_type: 'page_view',
        failures: [{ field: 'user_id', reason: 'expected a string, got integer' }],
        source: 'web',
        processor: { artifact: 'ingestion-gateway', version: '1' },
        failure_tstamp: '2024-05-01T10:00:00.000Z',
      },
    });
  });

  it('cuts a payload too large for one Kafka record and says so', () => {
    const row = buildBadRow({
      payload: { s: 'x'.repeat(200_000) },
      eventType: null,
      failures: [],
      source: null,
      now,
    });
    expect(row.data.payload_truncated).toBe(true);
    expect(String(row.data.payload)).toHaveLength(BAD_ROW_PAYLOAD_MAX_CHARS + 1); // and '…'
    expect(row.data.payload_size).toBe(200_008);
    expect(row.data.payload_sha256).toBe(
      createHash('sha256')
        .update(JSON.stringify({ s: 'x'.repeat(200_000) }))
        .digest('hex'),
    );
  });

  it('stays small for an event with 100,000 unknown keys: bounded failures and a count of the rest', () => {
    const payload = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    const failures = Object.keys(payload).map((field) => ({
      field,
      reason: 'unknown field: not in the contract',
    }));
    const row = buildBadRow({ payload, eventType: 'page_view', failures, source: 'web', now });
    expect(row.data.failures).toHaveLength(100);
    expect(row.data.failures_omitted).toBe(99_900);
    expect(row.data.payload_truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(row))).toBeLessThan(256 * 1024);
  });
});
