import { SinkError } from '../sink.error';
import { SinkMetrics } from '../sink.port';
import { AGG_SCHEMA, EVENTS_SCHEMA } from '../testing/fixtures';
import { MemorySink } from './memory.sink';

const AGG_COLUMNS = AGG_SCHEMA.columns.map((c) => c.name);
const agg = (device: string, version: number, value: number) => ({
  window_start: 0,
  window_end: 60_000,
  device_type: device,
  value,
  event_count: version,
  version,
});

async function newSut(metrics?: SinkMetrics): Promise<MemorySink> {
  const sink = new MemorySink(metrics ? { metrics } : {});
  await sink.connect();
  await sink.createTable('agg', AGG_SCHEMA);
  await sink.createTable('events', EVENTS_SCHEMA);
  return sink;
}

describe(MemorySink.name, () => {
  it('keeps one row per key when the same rows are written twice', async () => {
    const sink = await newSut();
    const rows = [agg('ios', 1, 1), agg('web', 1, 2)];
    await sink.writeRows('agg', rows, AGG_COLUMNS);
    await sink.writeRows('agg', rows, AGG_COLUMNS);
    expect(await sink.rows('agg')).toHaveLength(2);
  });

  it('lets the highest version win and ignores older ones', async () => {
    const sink = await newSut();
    await sink.writeRows('agg', [agg('ios', 2, 20)], AGG_COLUMNS);
    await sink.writeRows('agg', [agg('ios', 1, 10)], AGG_COLUMNS);
    expect((await sink.rows('agg'))[0]).toMatchObject({ version: 2, value: 20 });
    await sink.writeRows('agg', [agg('ios', 3, 30), agg('ios', 2, 99)], AGG_COLUMNS);
    expect((await sink.rows('agg'))[0]).toMatchObject({ version: 3, value: 30 });
  });

  it('keeps the first copy of an unversioned (event) row', async () => {
    const sink = await newSut();
    await sink.writeRows(
      'events',
      [{ event_id: 'e1', ts: 1, label: 'first' }],
      ['event_id', 'ts', 'label'],
    );
    await sink.writeRows(
      'events',
      [{ event_id: 'e1', ts: 1, label: 'again' }],
      ['event_id', 'ts', 'label'],
    );
    expect(await sink.rows('events')).toEqual([{ event_id: 'e1', ts: 1, label: 'first', n: null }]);
  });

  it('normalises timestamps to epoch milliseconds', async () => {
    const sink = await newSut();
    await sink.writeRows('events', [{ event_id: 'e1', ts: new Date(1234) }], ['event_id', 'ts']);
    expect((await sink.rows('events'))[0].ts).toBe(1234);
  });

  it('maps nested source rows in writeBatch and records the write', async () => {
    const recordWrite = jest.fn();
    const sink = await newSut({ recordWrite });
    const written = await sink.writeBatch(
      [{ window: { start: 0, end: 60_000 }, device_type: 'ios', avg: 1.5, count: 3, version: 1 }],
      7,
      'agg',
      {
        'window.start': 'window_start',
        'window.end': 'window_end',
        device_type: 'device_type',
        avg: 'value',
        count: 'event_count',
        version: 'version',
      },
    );
    expect(written).toBe(1);
    expect(await sink.rows('agg')).toEqual(
      [agg('ios', 1, 1.5)].map((r) => ({ ...r, event_count: 3 })),
    );
    expect(recordWrite).toHaveBeenCalledWith('memory', 'agg', 1, expect.any(Number), true);
  });

  it('records a failed write and rethrows instead of swallowing it', async () => {
    const recordWrite = jest.fn();
    const sink = await newSut({ recordWrite });
    await expect(
      sink.writeBatch([{ id: null }], 1, 'events', { id: 'event_id', t: 'ts' }),
    ).rejects.toMatchObject({ code: 'TYPE', retriable: false });
    expect(recordWrite).toHaveBeenCalledWith('memory', 'events', 0, expect.any(Number), false);
  });

  it('leaves the table untouched when one row of a batch is bad', async () => {
    const sink = await newSut();
    await expect(
      sink.writeRows(
        'events',
        [
          { event_id: 'ok', ts: 1 },
          { event_id: 'bad', ts: 'never' },
        ],
        ['event_id', 'ts'],
      ),
    ).rejects.toBeInstanceOf(SinkError);
    expect(await sink.rows('events')).toEqual([]);
  });

  it('refuses a table without a declared schema, a missing key column and an unknown column', async () => {
    const sink = await newSut();
    await expect(sink.writeRows('nope', [{ a: 1 }], ['a'])).rejects.toMatchObject({
      code: 'UNKNOWN_TABLE',
    });
    await expect(sink.writeRows('events', [{ ts: 1 }], ['ts'])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      sink.writeRows('events', [{ event_id: 'x', zz: 1 }], ['event_id', 'zz']),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      sink.writeRows(
        'agg',
        [agg('x', 1, 1)],
        AGG_COLUMNS.filter((c) => c !== 'version'),
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('returns 0 for an empty batch', async () => {
    const sink = await newSut();
    expect(await sink.writeRows('events', [], ['event_id'])).toBe(0);
  });

  it('reports health and refuses work before connect', async () => {
    const sink = new MemorySink();
    expect((await sink.healthCheck()).ok).toBe(false);
    await expect(sink.createTable('t', EVENTS_SCHEMA)).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
    });
    await sink.connect();
    expect(await sink.healthCheck()).toEqual({ ok: true, latencyMs: 0, version: 'memory' });
  });

  it('deletes retracted windows by key, keeping a newer version', async () => {
    const sink = await newSut();
    await sink.writeRows('agg', [agg('mobile', 2, 20), agg('desktop', 1, 10)], AGG_COLUMNS);
    await sink.deleteWindows('agg', [agg('mobile', 1, 0), agg('desktop', 1, 0)]);
    expect(await sink.rows('agg')).toEqual([expect.objectContaining({ device_type: 'mobile' })]);
    await expect(sink.deleteWindows('nope', [])).rejects.toMatchObject({ code: 'UNKNOWN_TABLE' });
  });
});
