// What the gateway accepts is what both sinks store, field by field: the gateway in this
// process, the schema registry and the sink writer as child processes, ClickHouse and
// PostgreSQL real. Strings come from all of Unicode, astral planes included; times from the
// whole accepted range, its ends included.
import type { PlatformConfig } from '@platform/config';
import {
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  startSchemaRegistry,
  startService,
  uniqueName,
  withPg,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  configOf,
  countRecords,
  createWriteKey,
  http,
  removeTestEnv,
  startGateway,
  testEnv,
  testKafka,
  type RunningGateway,
  type TestEnv,
} from '../testing/gateway-harness';

const DAY = 86_400_000;
type Row = Record<string, string | number | null>;

/** The contract fields of each type, as the sink tables hold them. */
const FIELDS = {
  page_view: [
    'event_id',
    'timestamp',
    'user_id',
    'page_url',
    'page_title',
    'referrer',
    'device_type',
    'country',
  ],
  purchase: [
    'event_id',
    'timestamp',
    'user_id',
    'order_id',
    'revenue',
    'currency',
    'device_type',
    'coupon_code',
  ],
} as const;
type Type = keyof typeof FIELDS;

describe('ingestion gateway → Kafka → sink writer: every accepted event is stored exactly as sent', () => {
  const ns = uniqueName('gwsink');
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  let writer: ServiceProcess;
  let key: string;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, { GATEWAY_MAX_BATCH_EVENTS: '500' });
    config = await configOf(t);
    gateway = await startGateway(t);
    key = (await createWriteKey(t, config, 'web')).key;
    writer = await startService({
      entry: 'apps/sink-writer/src/main.ts',
      env: {
        ...t.env,
        PLATFORM__clickhouse__database: ns,
        PLATFORM__postgres__schema: ns,
        SINK_WRITER_STREAMS: 'events',
        SINK_WRITER_GROUP_ID: `${ns}_writer`,
        SINK_WRITER_MAX_WAIT_MS: '200',
      },
      readyTimeoutMs: 120_000,
    });
  }, 180_000);

  afterAll(async () => {
    await writer?.stop();
    await gateway?.close();
    await registry?.stop();
    await dropClickHouseDatabase(ns).catch(() => undefined);
    await dropPgSchema(ns).catch(() => undefined);
    await removeTestEnv(t);
  });

  /** Rows of `type` by event_id in ClickHouse (times as epoch ms). */
  async function fromClickHouse(type: Type, ids: readonly string[]): Promise<Map<string, Row>> {
    const text = await clickhouse(
      `SELECT ${FIELDS[type].map((f) => `\`${f}\``).join(', ')} FROM \`${ns}\`.events_${type} FINAL ` +
        `WHERE event_id IN (${ids.map((id) => `'${id}'`).join(',')}) FORMAT JSONEachRow`,
    ).catch(() => '');
    const rows = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Row);
    return new Map(
      rows.map((r) => [String(r['event_id']), { ...r, timestamp: epochMs(r['timestamp']) }]),
    );
  }

  /** Rows of `type` by event_id in PostgreSQL (times as epoch ms). */
  async function fromPostgres(type: Type, ids: readonly string[]): Promise<Map<string, Row>> {
    const rows = await withPg(async (pg) =>
      pg
        .query<Row & { ts: string }>(
          `SELECT ${FIELDS[type].map((f) => `"${f}"`).join(', ')},
                  (extract(epoch from "timestamp") * 1000)::bigint::text AS ts
           FROM "${ns}"."events_${type}" WHERE event_id = ANY($1)`,
          [ids],
        )
        .then((r) => r.rows)
        .catch(() => []),
    );
    return new Map(
      rows.map(({ ts, ...r }) => [String(r['event_id']), { ...r, timestamp: Number(ts) }]),
    );
  }

  /**
   * Sends the events as one batch; every accepted one must reach both sinks with every field
   * equal to what was sent, and every refused one must name a field and reach neither.
   */
  async function roundTrip(
    type: Type,
    events: readonly Record<string, unknown>[],
  ): Promise<number> {
    const res = await http(`${gateway.url}/v1/events`, {
      key,
      body: { events: events.map((event) => ({ type, event })) },
    });
    expect([202, 400]).toContain(res.status);
    const results = res.body.results as { status: string; failures?: { field: string }[] }[];
    const accepted = events.filter((_, i) => results[i]?.status === 'accepted');
    const refused = events.filter((_, i) => results[i]?.status === 'rejected');
    expect(accepted.length + refused.length).toBe(events.length);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect(r.failures?.[0]?.field).toMatch(/^\w+$/);

    const ids = events.map((e) => String(e['event_id']));
    const arrived = await eventually(
      async () => {
        const [ch, pg] = await Promise.all([fromClickHouse(type, ids), fromPostgres(type, ids)]);
        return ch.size >= accepted.length && pg.size >= accepted.length;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(arrived).toBe(true);
    const [ch, pg] = await Promise.all([fromClickHouse(type, ids), fromPostgres(type, ids)]);
    expect(ch.size).toBe(accepted.length);
    expect(pg.size).toBe(accepted.length);
    for (const sent of accepted) {
      const expected = Object.fromEntries(
        FIELDS[type].map((f) => [f, f === 'timestamp' ? epochMs(sent[f]) : (sent[f] ?? null)]),
      );
      const id = String(sent['event_id']);
      expect(ch.get(id)).toEqual(expected);
      expect(pg.get(id)).toEqual(expected);
    }
    return accepted.length;
  }

  it('stores the extremes of every field exactly: both ends of event time, astral strings, the longest key', async () => {
    const now = Date.now();
    const astral = '😀𝄞𐍈\u{10FFFF}\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}';
    const base = { device_type: 'tablet', country: 'JP', timestamp: now };
    const events = [
      { ...base, user_id: 'floor-ms', timestamp: 0 },
      { ...base, user_id: 'floor-iso', timestamp: '1970-01-01T00:00:00.000Z' },
      { ...base, user_id: 'skew', timestamp: now + DAY - 60_000 },
      { ...base, user_id: 'skew-iso', timestamp: new Date(now + DAY - 60_000).toISOString() },
      {
        ...base,
        user_id: 'k'.repeat(256),
        page_url: astral,
        page_title: '\t\n\r\u0085\u2028',
        referrer: '',
      },
      { ...base, user_id: '😀'.repeat(128), page_url: 'é'.repeat(8192) },
    ].map((e) => ({ event_id: randomUUID(), ...e }));
    expect(await roundTrip('page_view', events)).toBe(events.length);

    const purchases = [5, 2000, 1234.5678901234].map((revenue, i) => ({
      event_id: randomUUID(),
      timestamp: i === 0 ? 0 : now + DAY - 60_000,
      user_id: `buyer-${i}`,
      order_id: `order-${astral}`,
      revenue,
      currency: 'GBP',
      device_type: 'desktop',
      coupon_code: i === 2 ? null : astral,
    }));
    expect(await roundTrip('purchase', purchases)).toBe(purchases.length);
  }, 180_000);

  it('dead-letters every refused event of a batch whose bad rows together pass the record batch limit of Kafka', async () => {
    const kafka = testKafka(config);
    const dlq = `${t.id}.dlq.ingestion-gateway`;
    const before = await countRecords(kafka, dlq).catch(() => 0);
    // 400 events with 150 unknown fields each: 100 failures per bad row, about 2 MB together.
    const wide = (i: number) =>
      Object.fromEntries(Array.from({ length: 150 }, (_, k) => [`unknown_${k}`, i]));
    const events = Array.from({ length: 400 }, (_, i) => ({ type: 'page_view', event: wide(i) }));
    const res = await http(`${gateway.url}/v1/events`, { key, body: { events } });
    expect(res.status).toBe(400);
    expect(res.body.rejected).toBe(400);
    expect(await countRecords(kafka, dlq)).toBe(before + 400);
  }, 120_000);

  it('stores any accepted event with strings from all of Unicode field by field, and no refused one', async () => {
    const now = Date.now();
    // Any code point, astral planes included (NUL among them, which is refused); now and
    // then a lone surrogate, which is refused too.
    const wellFormed = fc.string({ unit: 'binary', maxLength: 24 });
    const text = fc.oneof(
      { weight: 19, arbitrary: wellFormed },
      {
        weight: 1,
        arbitrary: fc
          .tuple(wellFormed, fc.integer({ min: 0xd800, max: 0xdfff }), wellFormed)
          .map(([a, unit, b]) => `${a}${String.fromCharCode(unit)}${b}`),
      },
    );
    const pageView = fc.record({
      user_id: text,
      page_url: fc.option(text, { nil: null }),
      page_title: fc.option(text, { nil: null }),
      referrer: fc.option(text, { nil: null }),
      device_type: fc.constantFrom('desktop', 'mobile', 'tablet'),
      country: fc.constantFrom('US', 'GB', 'DE', 'FR', 'JP', 'BR'),
      timestamp: fc.oneof(
        fc.integer({ min: 0, max: now + DAY - 60_000 }),
        fc.integer({ min: 0, max: now + DAY - 60_000 }).map((ms) => new Date(ms).toISOString()),
      ),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pageView, { minLength: 20, maxLength: 100 }), async (events) => {
        accepted += await roundTrip(
          'page_view',
          events.map((e) => ({ event_id: randomUUID(), ...e })),
        );
      }),
      { numRuns: 10 },
    );
    expect(accepted).toBeGreaterThan(40);
  }, 600_000);
});

function epochMs(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value);
  return /^-?\d+$/.test(text) ? Number(text) : Date.parse(text.endsWith('Z') ? text : `${text}Z`);
}
