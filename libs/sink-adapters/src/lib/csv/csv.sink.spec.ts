import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGG_SCHEMA, EVENTS_SCHEMA, HOSTILE_STRINGS } from '../testing/fixtures';
import { CsvSink } from './csv.sink';

const AGG_COLUMNS = AGG_SCHEMA.columns.map((c) => c.name);

describe(CsvSink.name, () => {
  let dir: string;
  let sink: CsvSink;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'csv-sink-'));
    sink = new CsvSink({ directory: dir });
    await sink.connect();
    await sink.createTable('events', EVENTS_SCHEMA);
    await sink.createTable('agg', AGG_SCHEMA);
  });

  afterEach(async () => {
    await sink.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates one file per table with a header, idempotently', async () => {
    await sink.createTable('events', EVENTS_SCHEMA);
    expect(await fs.readFile(path.join(dir, 'events.csv'), 'utf8')).toBe('event_id,ts,label,n\n');
  });

  it('refuses a table whose file has other columns', async () => {
    await expect(sink.createTable('events', AGG_SCHEMA)).rejects.toMatchObject({
      code: 'INVALID_SCHEMA',
    });
  });

  it('appends, and copies the previous file to backup/ before each write', async () => {
    await sink.writeRows('events', [{ event_id: 'a', ts: 1 }], ['event_id', 'ts']);
    expect(await fs.readFile(path.join(dir, 'backup', 'events.csv'), 'utf8')).toBe(
      'event_id,ts,label,n\n',
    );
    await sink.writeRows('events', [{ event_id: 'b', ts: 2 }], ['event_id', 'ts']);
    const current = await fs.readFile(path.join(dir, 'events.csv'), 'utf8');
    const backup = await fs.readFile(path.join(dir, 'backup', 'events.csv'), 'utf8');
    expect(current.split('\n').filter(Boolean)).toHaveLength(3);
    expect(backup.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('round-trips hostile strings, empty strings and NULLs exactly', async () => {
    const rows = HOSTILE_STRINGS.map((label, i) => ({
      event_id: `e${i}`,
      ts: i,
      label,
      n: i % 2 ? null : i,
    }));
    rows.push({ event_id: 'null-label', ts: 99, label: null as unknown as string, n: null });
    await sink.writeRows('events', rows, ['event_id', 'ts', 'label', 'n']);
    const read = await sink.rows('events');
    expect(read).toEqual(rows);
  });

  it('keeps timestamps at millisecond precision', async () => {
    const ts = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    await sink.writeRows('events', [{ event_id: 'a', ts }], ['event_id', 'ts']);
    expect((await sink.rows('events'))[0].ts).toBe(ts);
  });

  it('reads the rows collapsed by key, the highest version winning', async () => {
    const row = (version: number, value: number) => ({
      window_start: 0,
      window_end: 60_000,
      device_type: 'ios',
      value,
      event_count: 1,
      version,
    });
    await sink.writeRows('agg', [row(1, 1), row(3, 3)], AGG_COLUMNS);
    await sink.writeRows('agg', [row(2, 2)], AGG_COLUMNS);
    expect(await sink.rows('agg')).toEqual([row(3, 3)]);
  });

  it('fails with IO when the directory disappears', async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await expect(
      sink.writeRows('events', [{ event_id: 'a', ts: 1 }], ['event_id', 'ts']),
    ).rejects.toMatchObject({
      code: 'IO',
    });
    expect((await sink.healthCheck()).ok).toBe(false);
  });
});
