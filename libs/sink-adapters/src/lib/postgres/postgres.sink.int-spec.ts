import { randomUUID } from 'node:crypto';
import { SinkError } from '../sink.error';
import { AGG_SCHEMA, EVENTS_SCHEMA, localPostgresSettings } from '../testing/fixtures';
import { createTwice, hostileEventRows } from '../testing/sink-contract';
import { PostgresSink } from './postgres.sink';

// PostgreSQL 15 from tools/local-stack. Each run uses its own schema and drops it.
const SCHEMA = `sink_it_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const SETTINGS = localPostgresSettings(SCHEMA);
const AGG_COLUMNS = AGG_SCHEMA.columns.map((c) => c.name);
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);

const agg = (device: string, version: number, value: number) => ({
  window_start: Date.UTC(2024, 0, 1, 0, 1),
  window_end: Date.UTC(2024, 0, 1, 0, 2),
  device_type: device,
  value,
  event_count: version * 10,
  version,
});

describe(`${PostgresSink.name} against the local PostgreSQL server`, () => {
  /** Writes that took the staging-table path, by table. */
  const conflicts: { table: string; rows: number }[] = [];
  const sink = new PostgresSink({
    settings: SETTINGS,
    metrics: {
      recordWrite: () => undefined,
      recordConflict: (_sink, table, rows) => conflicts.push({ table, rows }),
    },
  });
  const t = (table: string) => `"${SCHEMA}"."${table}"`;
  const count = async (table: string): Promise<number> =>
    Number((await sink.query(`SELECT count(*) AS n FROM ${t(table)}`))[0].n);

  beforeAll(async () => {
    await sink.connect();
  });

  afterAll(async () => {
    await sink.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await sink.close();
  });

  it('creates its schema and reports healthy', async () => {
    const health = await sink.healthCheck();
    expect(health).toMatchObject({ ok: true, version: expect.stringMatching(/^\d+/) });
    expect(
      await sink.query(
        'SELECT schema_name FROM information_schema.schemata WHERE schema_name = $1',
        [SCHEMA],
      ),
    ).toHaveLength(1);
  });

  it('creates tables idempotently with ms-precision timestamptz and the key as primary key', async () => {
    await createTwice(sink, 'agg_ddl', AGG_SCHEMA);
    const columns = await sink.query(
      `SELECT column_name, data_type, datetime_precision, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'agg_ddl' ORDER BY ordinal_position`,
      [SCHEMA],
    );
    expect(columns[0]).toEqual({
      column_name: 'window_start',
      data_type: 'timestamp with time zone',
      datetime_precision: 3,
      is_nullable: 'NO',
    });
    const pk = await sink.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attname`,
      [`${SCHEMA}.agg_ddl`],
    );
    expect(pk.map((r) => r.attname)).toEqual(['device_type', 'window_end', 'window_start']);
  });

  it('writes the same events twice and keeps one row per key', async () => {
    await createTwice(sink, 'events_twice', EVENTS_SCHEMA);
    const rows = hostileEventRows();
    await sink.writeRows('events_twice', rows, EVENT_COLUMNS);
    await sink.writeRows('events_twice', rows, EVENT_COLUMNS);
    expect(await count('events_twice')).toBe(rows.length);
  });

  it('copies a new batch straight in and replays a written one through the upsert path', async () => {
    await createTwice(sink, 'events_replay', EVENTS_SCHEMA);
    const first = Array.from({ length: 3_000 }, (_, i) => ({ event_id: `r${i}`, ts: i, n: i }));
    await sink.writeRows('events_replay', first, EVENT_COLUMNS);
    expect(conflicts.filter((c) => c.table === 'events_replay')).toEqual([]);

    // Half of this batch was written before: the COPY fails on the key, nothing of it stays,
    // and the upsert stores the other half once.
    const replay = Array.from({ length: 3_000 }, (_, i) => ({
      event_id: `r${i + 1_500}`,
      ts: i,
      n: -1,
    }));
    await sink.writeRows('events_replay', replay, EVENT_COLUMNS);
    expect(conflicts.filter((c) => c.table === 'events_replay')).toEqual([
      { table: 'events_replay', rows: 3_000 },
    ]);
    expect(await count('events_replay')).toBe(4_500);
    const [kept] = await sink.query(
      `SELECT count(*)::int AS n FROM ${t('events_replay')} WHERE n >= 0`,
    );
    expect(kept).toEqual({ n: 3_000 });
  });

  it('stores NaN and the infinities of a double as they are', async () => {
    await createTwice(sink, 'agg_nonfinite', AGG_SCHEMA);
    const rows = [agg('nan', 1, NaN), agg('inf', 1, Infinity), agg('minus', 1, -Infinity)];
    await sink.writeRows('agg_nonfinite', rows, AGG_COLUMNS);
    expect(
      await sink.query(
        `SELECT device_type, value::text AS value FROM ${t('agg_nonfinite')} ORDER BY device_type`,
      ),
    ).toEqual([
      { device_type: 'inf', value: 'Infinity' },
      { device_type: 'minus', value: '-Infinity' },
      { device_type: 'nan', value: 'NaN' },
    ]);
  });

  it('never lets an older version overwrite a newer one', async () => {
    await createTwice(sink, 'agg_versions', AGG_SCHEMA);
    await sink.writeRows('agg_versions', [agg('ios', 2, 20)], AGG_COLUMNS);
    await sink.writeRows('agg_versions', [agg('ios', 1, 10)], AGG_COLUMNS);
    expect(await sink.query(`SELECT value, version FROM ${t('agg_versions')}`)).toEqual([
      { value: 20, version: 2 },
    ]);
    // A newer version wins, and within one batch the highest version of a key is kept.
    await sink.writeRows('agg_versions', [agg('ios', 4, 40), agg('ios', 3, 30)], AGG_COLUMNS);
    expect(await sink.query(`SELECT value, version FROM ${t('agg_versions')}`)).toEqual([
      { value: 40, version: 4 },
    ]);
  });

  it('round-trips strings with commas, quotes, newlines, unicode, empty strings and NULLs exactly', async () => {
    await createTwice(sink, 'events_copy', EVENTS_SCHEMA);
    const rows = hostileEventRows();
    await sink.writeRows('events_copy', rows, EVENT_COLUMNS);
    const read = await sink.query(
      `SELECT event_id, ts, label, n FROM ${t('events_copy')} ORDER BY event_id`,
    );
    const expected = [...rows]
      .sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0))
      .map((r) => ({ ...r, ts: new Date(r.ts) }));
    expect(read).toEqual(expected);
  });

  it('keeps timestamps at millisecond precision', async () => {
    await createTwice(sink, 'events_ms', EVENTS_SCHEMA);
    const ts = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    await sink.writeRows('events_ms', [{ event_id: 'a', ts }], ['event_id', 'ts']);
    const [row] = await sink.query(
      `SELECT ts, (extract(epoch FROM ts) * 1000)::bigint AS ms FROM ${t('events_ms')}`,
    );
    expect((row.ts as Date).getTime()).toBe(ts);
    expect(row.ms).toBe(ts);
  });

  it('writes 50,000 rows in one batch', async () => {
    await createTwice(sink, 'events_bulk', EVENTS_SCHEMA);
    const rows = Array.from({ length: 50_000 }, (_, i) => ({
      event_id: `e${i}`,
      ts: 1_700_000_000_000 + i,
      label: i % 3 ? `label, "${i}"` : null,
      n: i,
    }));
    expect(await sink.writeRows('events_bulk', rows, EVENT_COLUMNS)).toBe(50_000);
    expect(await count('events_bulk')).toBe(50_000);
  });

  it('rolls the whole batch back and throws a non-retriable error on a bad value', async () => {
    await createTwice(sink, 'events_bad', EVENTS_SCHEMA);
    const error = await sink
      .writeRows(
        'events_bad',
        [
          { event_id: 'ok', ts: 1 },
          { event_id: 'nul', ts: 2, label: 'a\0b' },
        ],
        EVENT_COLUMNS,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ retriable: false });
    expect(await count('events_bad')).toBe(0);
  });

  it('classifies SQL errors as non-retriable and a refused connection as retriable', async () => {
    await expect(sink.query('SELEC 1')).rejects.toMatchObject({ code: 'SYNTAX', retriable: false });
    const dead = new PostgresSink({ settings: { ...SETTINGS, port: 1 } });
    await expect(dead.connect()).rejects.toMatchObject({ code: 'CONNECTION', retriable: true });
    await dead.close();
  });
});
