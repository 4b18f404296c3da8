import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import type { KafkaClient } from '@platform/messaging';
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { startSchemaRegistry, type RegistryProcess } from '@platform/testing';
import {
  avroDecoder,
  configOf,
  countRecords,
  createWriteKey,
  http,
  readTopic,
  startGateway,
  testEnv,
  testKafka,
  type RunningGateway,
  type TestEnv,
  removeTestEnv,
} from '../testing/gateway-harness';

const TYPES = ['page_view', 'add_to_cart', 'purchase'] as const;

function validEvent(type: (typeof TYPES)[number], i: number): Record<string, unknown> {
  switch (type) {
    case 'page_view':
      return {
        event_id: randomUUID(),
        user_id: `u${i}`,
        device_type: 'mobile',
        country: 'US',
        page_url: `/p/${i}`,
      };
    case 'add_to_cart':
      return {
        event_id: randomUUID(),
        user_id: `u${i}`,
        product_id: `p${i}`,
        quantity: 2,
        device_type: 'desktop',
        price: 9.5,
      };
    case 'purchase':
      return {
        event_id: randomUUID(),
        user_id: `u${i}`,
        order_id: `o${i}`,
        revenue: 42.5,
        currency: 'EUR',
        device_type: 'tablet',
      };
  }
}

/** Every 20th event is broken in one of five ways. */
function brokenEvent(i: number): { type: string; event: Record<string, unknown> } {
  const base = validEvent('purchase', i);
  switch (i % 5) {
    case 0:
      return { type: 'purchase', event: { ...base, revenue: 'lots' } };
    case 1:
      return { type: 'purchase', event: { ...base, currency: 'XXX' } };
    case 2: {
      const { user_id: _drop, ...rest } = base;
      return { type: 'purchase', event: rest };
    }
    case 3:
      return { type: 'purchase', event: { ...base, surprise: true } };
    default:
      return { type: 'refund', event: base };
  }
}

describe('ingestion gateway: events in', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  let kafka: KafkaClient;
  let key: string;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, {
      GATEWAY_MAX_BATCH_EVENTS: '1000',
      GATEWAY_RATE_LIMIT_PER_SECOND: '1',
      GATEWAY_RATE_LIMIT_BURST: '1200',
      GATEWAY_MAX_BODY_BYTES: String(512 * 1024),
    });
    config = await configOf(t);
    kafka = testKafka(config);
    gateway = await startGateway(t);
    key = (await createWriteKey(t, config, 'web')).key;
  });

  afterAll(async () => {
    await gateway?.close();
    await registry?.stop();
    await removeTestEnv(t, kafka);
  });

  const topic = (type: string): string => eventTopic(config.topics, type);
  const dlq = (): string => `${t.id}.dlq.ingestion-gateway`;

  it('accepts one event with 202 after Kafka acknowledged it, filling in event_id and timestamp', async () => {
    const before = await countRecords(kafka, topic('page_view'));
    const res = await http(`${gateway.url}/v1/events/page_view`, {
      key,
      body: { user_id: 'solo', device_type: 'desktop', country: 'DE' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ event_id: expect.any(String), status: 'accepted' });
    expect(await countRecords(kafka, topic('page_view'))).toBe(before + 1);

    const decode = avroDecoder(registry.url);
    const records = await readTopic(kafka, topic('page_view'));
    const mine = await Promise.all(records.map(async (r) => ({ r, v: await decode(r.value) })));
    const found = mine.find((m) => m.v['event_id'] === res.body.event_id);
    expect(found?.v).toMatchObject({
      user_id: 'solo',
      device_type: 'desktop',
      country: 'DE',
      page_url: null,
    });
    expect(typeof found?.v['timestamp']).toBe('number');
    expect(found?.r.key).toBe('solo');
    expect(found?.r.headers['received_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(found?.r.headers['source']).toBe('web');
  });

  it('answers a batch of 1,000 events with 50 invalid: 950 records in Kafka, 50 per-event errors, 50 bad rows', async () => {
    const before = await Promise.all(TYPES.map((ty) => countRecords(kafka, topic(ty))));
    const dlqBefore = await countRecords(kafka, dlq()).catch(() => 0);
    const events = Array.from({ length: 1000 }, (_, i) =>
      i % 20 === 0
        ? brokenEvent(i / 20)
        : { type: TYPES[i % 3] as string, event: validEvent(TYPES[i % 3] ?? 'page_view', i) },
    );
    const res = await http(`${gateway.url}/v1/events`, { key, body: { events } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 950, rejected: 50, duplicates: 0, failed: 0 });
    const rejected = res.body.results.filter((r: { status: string }) => r.status === 'rejected');
    expect(rejected).toHaveLength(50);
    expect(rejected.map((r: { index: number }) => r.index)).toEqual(
      Array.from({ length: 50 }, (_, i) => i * 20),
    );
    expect(rejected[0].failures).toEqual([
      { field: 'revenue', reason: 'expected a number, got string' },
    ]);
    expect(rejected[1].failures).toEqual([
      { field: 'currency', reason: 'must be one of "USD", "EUR", "GBP", got "XXX"' },
    ]);
    expect(rejected[2].failures).toEqual([
      { field: 'user_id', reason: 'required field is missing' },
    ]);
    expect(rejected[3].failures).toEqual([
      { field: 'surprise', reason: 'unknown field: not in the contract' },
    ]);
    expect(rejected[4].failures[0]).toMatchObject({ field: 'type' });

    const after = await Promise.all(TYPES.map((ty) => countRecords(kafka, topic(ty))));
    const produced = after.reduce((s, n, i) => s + n - (before[i] ?? 0), 0);
    expect(produced).toBe(950);

    expect((await countRecords(kafka, dlq())) - dlqBefore).toBe(50);
    const rows = (await readTopic(kafka, dlq()))
      .slice(dlqBefore)
      .map((r) => ({ headers: r.headers, row: JSON.parse(r.value.toString('utf8')) }));
    expect(rows).toHaveLength(50);
    for (const { row, headers } of rows) {
      expect(row.schema).toBe('bad_row/schema_violation/1-0');
      expect(row.data.failures.length).toBeGreaterThan(0);
      expect(row.data.processor.artifact).toBe('ingestion-gateway');
      expect(row.data.failure_tstamp).toMatch(/Z$/);
      expect(headers['dlq.error.code']).toBe('SCHEMA_VIOLATION');
    }
    expect(rows.filter((r) => r.row.data.event_type === 'refund')).toHaveLength(10);
  });

  it('writes a single invalid event to the DLQ and answers 400 with per-field reasons', async () => {
    const dlqBefore = await countRecords(kafka, dlq());
    const res = await http(`${gateway.url}/v1/events/add_to_cart`, {
      key,
      body: { user_id: 'u', product_id: 'p', quantity: 7, device_type: 'fridge', price: 0.5 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_EVENT');
    expect(res.body.error.failures).toEqual([
      {
        field: 'device_type',
        reason: 'must be one of "desktop", "mobile", "tablet", got "fridge"',
      },
      { field: 'price', reason: 'must be >= 1, got 0.5' },
      { field: 'quantity', reason: 'must be <= 5, got 7' },
    ]);
    expect(await countRecords(kafka, dlq())).toBe(dlqBefore + 1);
  });

  describe('refused before Kafka, with the field and the reason', () => {
    const allEvents = (): Promise<number[]> =>
      Promise.all(TYPES.map((ty) => countRecords(kafka, topic(ty))));

    /** Sends a body; expects 400 naming `field`, nothing in any event topic and one bad row. */
    async function refused(
      raw: string,
      field: string,
      reason: RegExp,
    ): Promise<{ failures: { field: string; reason: string }[] }> {
      const events = await allEvents();
      const dlqBefore = await countRecords(kafka, dlq());
      const res = await http(`${gateway.url}/v1/events/page_view`, { key, raw });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_EVENT');
      expect(res.body.error.failures).toContainEqual({
        field,
        reason: expect.stringMatching(reason),
      });
      expect(await allEvents()).toEqual(events);
      expect(await countRecords(kafka, dlq())).toBe(dlqBefore + 1);
      return res.body.error;
    }

    const page = (fields: string): string =>
      `{"user_id": "u1", "device_type": "mobile", "country": "US", ${fields}}`;

    it.each([
      ['page_url', page('"page_url": "u\\ud800x"')],
      ['page_url', page('"page_url": "\\udfff"')],
      ['event_id', page('"event_id": "e\\udbff"')],
    ])('refuses a lone surrogate in %s', async (field, raw) => {
      await refused(raw, field, /lone UTF-16 surrogate/);
    });

    it.each([
      ['empty', '""', /must not be empty/],
      ['NUL', '"u\\u0000x"', /control characters/],
      ['newline', '"u\\nx"', /control characters/],
      ['too long', JSON.stringify('k'.repeat(257)), /longer than 256 characters/],
    ])('refuses an entity key that is %s', async (_, value, reason) => {
      await refused(
        `{"user_id": ${value}, "device_type": "mobile", "country": "US"}`,
        'user_id',
        reason,
      );
    });

    it.each([
      '"2100-01-01T00:00:00Z"',
      '"3000-06-01T00:00:00Z"',
      '"9999-12-31T23:59:59Z"',
      String(Date.now() + 2 * 86_400_000),
    ])('refuses event time %s, beyond a day after receipt', async (timestamp) => {
      await refused(
        page(`"timestamp": ${timestamp}`),
        'timestamp',
        /must be at most 86400000 ms after the time of receipt/,
      );
    });

    it('refuses event time before the floor', async () => {
      await refused(
        page('"timestamp": "1960-01-01T00:00:00Z"'),
        'timestamp',
        /must be at or after 1970-01-01T00:00:00.000Z/,
      );
    });

    it('answers 30,000 unknown keys briefly and still dead-letters the event: reason, cut payload, size, SHA-256', async () => {
      const body = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
      const text = JSON.stringify(body);
      const error = await refused(text, 'k0', /unknown field/);
      expect(error.failures).toHaveLength(100);
      expect((error as { failures_omitted?: number }).failures_omitted).toBe(30_000 + 3 - 100);

      const sha = createHash('sha256').update(text).digest('hex');
      const rows = (await readTopic(kafka, dlq())).map(
        (r) => JSON.parse(r.value.toString('utf8')) as { data: Record<string, unknown> },
      );
      const row = rows.find((r) => r.data['payload_sha256'] === sha);
      expect(row?.data).toMatchObject({
        payload_truncated: true,
        payload_size: Buffer.byteLength(text),
        event_type: 'page_view',
        failures_omitted: 30_000 + 3 - 100,
      });
      expect(String(row?.data['payload']).startsWith(text.slice(0, 1000))).toBe(true);
      expect(row?.data['failures']).toHaveLength(100);
    });

    it('bounds every per-event failure list of a batch', async () => {
      const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x${i}`, i]));
      const res = await http(`${gateway.url}/v1/events`, {
        key,
        body: { events: [{ type: 'page_view', event: wide }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.results[0].failures).toHaveLength(100);
      expect(res.body.results[0].failures_omitted).toBe(300 + 3 - 100);
    });
  });

  it('acknowledges a repeated event_id within the window without producing it twice', async () => {
    const event = { ...validEvent('page_view', 1), event_id: `dup-${randomUUID()}` };
    const before = await countRecords(kafka, topic('page_view'));
    const first = await http(`${gateway.url}/v1/events/page_view`, { key, body: event });
    const second = await http(`${gateway.url}/v1/events/page_view`, { key, body: event });
    const inBatch = await http(`${gateway.url}/v1/events`, {
      key,
      body: {
        events: [
          { type: 'page_view', event },
          { type: 'page_view', event },
        ],
      },
    });
    expect(first.body).toEqual({ event_id: event.event_id, status: 'accepted' });
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ event_id: event.event_id, status: 'duplicate' });
    expect(inBatch.body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await countRecords(kafka, topic('page_view'))).toBe(before + 1);
  });

  it('shares the window between gateway instances: a repeat is a duplicate wherever it lands', async () => {
    const other = await startGateway(t);
    try {
      const sequential = { ...validEvent('page_view', 2), event_id: `dup-${randomUUID()}` };
      const concurrent = { ...validEvent('page_view', 3), event_id: `dup-${randomUUID()}` };
      const before = await countRecords(kafka, topic('page_view'));
      const first = await http(`${gateway.url}/v1/events/page_view`, { key, body: sequential });
      const repeat = await http(`${other.url}/v1/events/page_view`, { key, body: sequential });
      // The same event at both instances at once: one produces it, the other waits for its outcome.
      const both = await Promise.all(
        [gateway, other].map((g) =>
          http(`${g.url}/v1/events/page_view`, { key, body: concurrent }),
        ),
      );
      expect([first.body, repeat.body]).toEqual([
        { event_id: sequential.event_id, status: 'accepted' },
        { event_id: sequential.event_id, status: 'duplicate' },
      ]);
      expect(both.map((r) => r.status)).toEqual([202, 202]);
      expect(both.map((r) => (r.body as { status: string }).status).sort()).toEqual([
        'accepted',
        'duplicate',
      ]);
      expect(await countRecords(kafka, topic('page_view'))).toBe(before + 2);
    } finally {
      await other.close();
    }
  });

  describe('auth and limits', () => {
    it('answers 401 without a key and with an unknown key', async () => {
      const body = validEvent('page_view', 1);
      expect((await http(`${gateway.url}/v1/events/page_view`, { body })).status).toBe(401);
      const unknown = await http(`${gateway.url}/v1/events/page_view`, { body, key: 'gwk_nope' });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.message).toBe('unknown write key');
      // The key is checked before the body is parsed.
      const unparsed = await http(`${gateway.url}/v1/events/page_view`, { raw: '{not json' });
      expect(unparsed.status).toBe(401);
    });

    it('accepts the key as a Bearer token and as a Basic user name', async () => {
      const body = validEvent('page_view', 2);
      const bearer = await http(`${gateway.url}/v1/events/page_view`, {
        body,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(bearer.status).toBe(202);
      const basic = await http(`${gateway.url}/v1/events/page_view`, {
        body: validEvent('page_view', 3),
        headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      });
      expect(basic.status).toBe(202);
    });

    it('answers 403 for a revoked key and for an event type the key may not send', async () => {
      const limited = await createWriteKey(t, config, 'ios', ['page_view']);
      expect(
        (
          await http(`${gateway.url}/v1/events/page_view`, {
            key: limited.key,
            body: validEvent('page_view', 1),
          })
        ).status,
      ).toBe(202);
      const denied = await http(`${gateway.url}/v1/events/purchase`, {
        key: limited.key,
        body: validEvent('purchase', 1),
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('purchase');
      const batch = await http(`${gateway.url}/v1/events`, {
        key: limited.key,
        body: {
          events: [
            { type: 'purchase', event: validEvent('purchase', 2) },
            { type: 'page_view', event: validEvent('page_view', 2) },
          ],
        },
      });
      expect(batch.status).toBe(202);
      expect(batch.body.results[0]).toMatchObject({
        status: 'rejected',
        failures: [{ field: 'type' }],
      });
      expect(batch.body.results[1]).toMatchObject({ status: 'accepted' });

      await limited.revoke();
      const revoked = await http(`${gateway.url}/v1/events/page_view`, {
        key: limited.key,
        body: validEvent('page_view', 1),
      });
      expect(revoked.status).toBe(403);
      expect(revoked.body.error.message).toContain('revoked');
    });

    it('answers 429 with Retry-After once the key has used its burst', async () => {
      const burst = await createWriteKey(t, config, 'burst');
      const events = Array.from({ length: 1000 }, (_, i) => ({
        type: 'page_view',
        event: validEvent('page_view', i),
      }));
      const first = await http(`${gateway.url}/v1/events`, { key: burst.key, body: { events } });
      expect(first.status).toBe(202);
      const second = await http(`${gateway.url}/v1/events`, { key: burst.key, body: { events } });
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(second.body.error.code).toBe('RATE_LIMITED');
      // Other keys have their own bucket.
      expect(
        (
          await http(`${gateway.url}/v1/events/page_view`, {
            key,
            body: validEvent('page_view', 9),
          })
        ).status,
      ).toBe(202);
    });

    it('answers 413 for a batch over the count limit and a body over the size limit', async () => {
      const events = Array.from({ length: 1001 }, (_, i) => ({
        type: 'page_view',
        event: validEvent('page_view', i),
      }));
      const tooMany = await http(`${gateway.url}/v1/events`, { key, body: { events } });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.error.message).toContain('1001');
      const huge = await http(`${gateway.url}/v1/events/page_view`, {
        key,
        raw: JSON.stringify({ ...validEvent('page_view', 1), page_url: 'x'.repeat(600 * 1024) }),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('malformed input corpus', () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const corpus: {
      name: string;
      path?: string;
      raw?: string | Buffer;
      body?: unknown;
      contentType?: string;
      headers?: Record<string, string>;
      status?: number;
    }[] = [
      { name: 'malformed JSON', raw: '{"user_id": "u1", ' },
      { name: 'trailing garbage', raw: '{"user_id": "u1"} xyz' },
      { name: 'not JSON at all', raw: 'hello world' },
      { name: 'empty body', raw: '' },
      { name: 'only whitespace', raw: '   ' },
      { name: 'JSON null', raw: 'null' },
      { name: 'JSON array', raw: '[1,2,3]' },
      { name: 'JSON string', raw: '"page_view"' },
      { name: 'JSON number', raw: '42' },
      {
        name: 'wrong type: number for string',
        body: { user_id: 5, device_type: 'mobile', country: 'US' },
      },
      {
        name: 'wrong type: object for string',
        body: { user_id: { $gt: '' }, device_type: 'mobile', country: 'US' },
      },
      {
        name: 'wrong type: array for enum',
        body: { user_id: 'u', device_type: ['mobile'], country: 'US' },
      },
      {
        name: 'wrong type: boolean timestamp',
        body: { user_id: 'u', device_type: 'mobile', country: 'US', timestamp: true },
      },
      {
        name: 'bad timestamp string',
        body: { user_id: 'u', device_type: 'mobile', country: 'US', timestamp: 'tomorrow' },
      },
      {
        name: 'negative timestamp',
        body: { user_id: 'u', device_type: 'mobile', country: 'US', timestamp: -5 },
      },
      {
        name: 'float for int',
        path: '/v1/events/add_to_cart',
        body: { user_id: 'u', product_id: 'p', quantity: 1.5, device_type: 'mobile' },
      },
      { name: 'null dimension', body: { user_id: 'u', device_type: null, country: 'US' } },
      {
        name: 'empty event_id',
        body: { event_id: '', user_id: 'u', device_type: 'mobile', country: 'US' },
      },
      {
        name: 'unknown event type',
        path: '/v1/events/refund',
        body: { user_id: 'u' },
        status: 404,
      },
      {
        name: 'SQL-ish event type',
        path: '/v1/events/page_view%3BDROP%20TABLE',
        body: { user_id: 'u' },
        status: 404,
      },
      {
        name: 'deep nesting in a field',
        raw: `{"user_id": ${deep(5000)}, "device_type": "mobile", "country": "US"}`,
      },
      { name: 'deep nesting as the body', raw: deep(200_000) },
      { name: 'deep objects', raw: '{"a":'.repeat(100) + '1' + '}'.repeat(100) },
      {
        name: 'huge string',
        body: { user_id: 'x'.repeat(100_000), device_type: 'mobile', country: 'US' },
      },
      {
        name: 'huge key',
        body: { ['k'.repeat(100_000)]: 1, user_id: 'u', device_type: 'mobile', country: 'US' },
      },
      {
        name: 'many unknown fields',
        body: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i])),
      },
      { name: 'oversize body', raw: `{"user_id": "${'y'.repeat(600 * 1024)}"}`, status: 413 },
      {
        name: 'wrong content type: form',
        raw: 'user_id=u1',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
      },
      {
        name: 'wrong content type: xml',
        raw: '<event/>',
        contentType: 'application/xml',
        status: 415,
      },
      {
        name: 'wrong content type: octet-stream',
        raw: '{}',
        contentType: 'application/octet-stream',
        status: 415,
      },
      {
        name: 'no content type',
        raw: Buffer.from('{"user_id":"u"}'),
        contentType: '',
        status: 415,
      },
      {
        name: 'invalid UTF-8',
        raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1'),
      },
      // Bytes that are not UTF-8 in a value that would otherwise be accepted: decoded
      // leniently they would be stored as U+FFFD.
      ...[
        ['a Latin-1 byte', [0xe9]],
        ['an overlong slash', [0xc0, 0xaf]],
        ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ].map(([what, bytes]) => ({
        name: `invalid UTF-8 bytes in a field: ${String(what)}`,
        raw: Buffer.concat([
          Buffer.from('{"user_id":"caf'),
          Buffer.from(bytes as number[]),
          Buffer.from('","device_type":"mobile","country":"US"}'),
        ]),
        status: 400,
      })),
      {
        name: 'invalid UTF-8 bytes in a gzip body',
        raw: gzipSync(
          Buffer.from('{"user_id":"caf\xe9","device_type":"mobile","country":"US"}', 'latin1'),
        ),
        headers: { 'content-encoding': 'gzip' },
        status: 400,
      },
      {
        name: 'a charset other than UTF-8',
        body: { user_id: 'u', device_type: 'mobile', country: 'US' },
        contentType: 'application/json; charset=iso-8859-1',
        status: 415,
      },
      {
        name: 'lone surrogate in a string',
        raw: '{"user_id": "u", "device_type": "mobile", "country": "US", "page_url": "u\\ud800x"}',
      },
      {
        name: 'lone surrogate in a batch event',
        path: '/v1/events',
        raw: '{"events": [{"type": "page_view", "event": {"user_id": "\\udc00", "device_type": "mobile", "country": "US"}}]}',
      },
      { name: 'empty entity key', body: { user_id: '', device_type: 'mobile', country: 'US' } },
      {
        name: 'NUL in the entity key',
        body: { user_id: 'u\u0000x', device_type: 'mobile', country: 'US' },
      },
      {
        name: 'entity key over the cap',
        body: { user_id: 'k'.repeat(300), device_type: 'mobile', country: 'US' },
      },
      {
        name: 'NUL in an attribute',
        body: { user_id: 'u', device_type: 'mobile', country: 'US', page_url: 'a\u0000b' },
      },
      {
        name: 'event time in 9999',
        body: {
          user_id: 'u',
          device_type: 'mobile',
          country: 'US',
          timestamp: '9999-01-01T00:00:00Z',
        },
      },
      {
        name: 'event time before 1970',
        body: {
          user_id: 'u',
          device_type: 'mobile',
          country: 'US',
          timestamp: '1901-01-01T00:00:00Z',
        },
      },
      {
        name: 'huge epoch millis',
        body: { user_id: 'u', device_type: 'mobile', country: 'US', timestamp: 8.64e15 },
      },
      {
        name: 'plain body labelled gzip',
        body: { user_id: 'u', device_type: 'mobile', country: 'US' },
        headers: { 'content-encoding': 'gzip' },
        status: 400,
      },
      {
        name: 'unsupported encoding zstd',
        body: { user_id: 'u', device_type: 'mobile', country: 'US' },
        headers: { 'content-encoding': 'zstd' },
        status: 415,
      },
      {
        name: 'gzip bomb',
        raw: gzipSync(Buffer.alloc(20 * 1024 * 1024, 32)),
        headers: { 'content-encoding': 'gzip' },
        status: 413,
      },
      {
        name: 'text/plain on the query route',
        path: '/v1/query',
        raw: '{"aggregation": "page_views_per_minute"}',
        contentType: 'text/plain',
        status: 415,
      },
      {
        name: 'text/plain on the subscribe route',
        path: '/v1/subscribe',
        raw: '{"event_types": ["page_view"]}',
        contentType: 'text/plain',
        status: 415,
      },
      { name: 'batch: not an object', path: '/v1/events', raw: '[]' },
      { name: 'batch: events not an array', path: '/v1/events', body: { events: 'page_view' } },
      { name: 'batch: empty', path: '/v1/events', body: { events: [] } },
      {
        name: 'batch: unknown envelope field',
        path: '/v1/events',
        body: { events: [], batch: [] },
      },
      {
        name: 'batch: items all broken',
        path: '/v1/events',
        body: { events: [1, null, 'x', { type: 5 }, { type: 'page_view' }] },
      },
    ];

    // A hang fails through the client's request timeout (see `http`).
    it.each(corpus)('answers $name with a 4xx and a reason', async (c) => {
      const res = await http(`${gateway.url}${c.path ?? '/v1/events/page_view'}`, {
        key,
        ...(c.raw === undefined ? { body: c.body } : { raw: c.raw }),
        ...(c.contentType === undefined ? {} : { contentType: c.contentType }),
        ...(c.headers === undefined ? {} : { headers: c.headers }),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      if (c.status !== undefined) expect(res.status).toBe(c.status);
      if (res.body?.error !== undefined) {
        expect(typeof res.body.error.message).toBe('string');
        expect(res.body.error.message.length).toBeGreaterThan(0);
      } else {
        // A batch answers per event: every result carries its reasons.
        expect(
          res.body.results.every((r: { failures?: unknown[] }) => (r.failures ?? []).length > 0),
        ).toBe(true);
      }
    });

    it('stays healthy after the corpus', async () => {
      expect((await http(`${gateway.url}/healthz`)).status).toBe(200);
      expect(
        (
          await http(`${gateway.url}/v1/events/page_view`, {
            key,
            body: validEvent('page_view', 77),
          })
        ).status,
      ).toBe(202);
    });
  });

  describe('contracts, docs and operations', () => {
    it('serves the data contract: schemas, version, mode and SLA', async () => {
      const res = await http(`${gateway.url}/v1/contract`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        domain: 'ecommerce',
        version: 'v1',
        mode: 'async',
        sla: { freshness_ms: 300_000, completeness: 0.999 },
      });
      const purchase = res.body.event_types.find((e: { name: string }) => e.name === 'purchase');
      expect(purchase.topic).toBe(topic('purchase'));
      expect(purchase.schema).toMatchObject({ type: 'record', name: 'purchase' });
      expect(purchase.request_schema.required).toEqual([
        'user_id',
        'order_id',
        'revenue',
        'currency',
        'device_type',
      ]);
      const byDomain = await http(`${gateway.url}/v1/contracts/ecommerce`);
      expect(byDomain.body).toEqual(res.body);
      expect((await http(`${gateway.url}/v1/contracts/banking`)).status).toBe(404);
    });

    it('serves OpenAPI 3.1 generated from the contracts at /docs', async () => {
      const doc = await http(`${gateway.url}/docs/openapi.json`);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/events/page_view',
          '/v1/events',
          '/v1/query',
          '/v1/subscribe',
          '/v1/contract',
        ]),
      );
      expect(doc.body.components.schemas.Event_purchase.properties.currency.enum).toEqual([
        'USD',
        'EUR',
        'GBP',
      ]);
      // What is refused, and how, is documented where clients look.
      const send = doc.body.paths['/v1/events/page_view'].post;
      expect(Object.keys(send.requestBody.content)).toEqual(['application/json', 'text/plain']);
      expect(send.parameters[0]).toMatchObject({ name: 'Content-Encoding', in: 'header' });
      expect(Object.keys(send.responses)).toEqual(
        expect.arrayContaining(['202', '400', '408', '413', '415', '503']),
      );
      const query = doc.body.paths['/v1/query'].post;
      expect(Object.keys(query.requestBody.content)).toEqual(['application/json']);
      expect(query.responses['404'].description).toContain('TABLE_NOT_FOUND');
      expect(doc.body.components.schemas.Error.properties.error.properties).toMatchObject({
        failures: { maxItems: 100 },
        failures_omitted: { type: 'integer' },
        event_id: { type: 'string' },
      });
      const page = await http(`${gateway.url}/docs`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('/v1/events/purchase');
    });

    it('exposes health, readiness and metrics with per-type counters', async () => {
      expect((await http(`${gateway.url}/healthz`)).body).toEqual({ status: 'ok' });
      const ready = await http(`${gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = (await http(`${gateway.url}/metrics`)).text;
      expect(metrics).toMatch(
        /platform_gateway_events_accepted_total\{event_type="purchase"\} \d+/,
      );
      expect(metrics).toMatch(
        /platform_gateway_events_rejected_total\{event_type="purchase",reason="invalid"\} \d+/,
      );
      expect(metrics).toMatch(/produce_success_total\{event_type="page_view"\} \d+/);
      expect(metrics).toMatch(
        /platform_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/events"\}/,
      );
      expect(metrics).toMatch(
        /platform_http_requests_total\{method="POST",route="\/v1\/events\/:type",status="202"\} \d+/,
      );
    });
  });
});
