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
    expect(String(row.data.payload)).toHaveLength(BAD_ROW_PAYLOAD_MAX_CHARS);
  });
});
