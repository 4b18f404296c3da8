import {
  WritePlanError,
  type AvroRows,
  type PlannedRow,
  type SourceRow,
  type TableBinding,
  type TableSchema,
} from '@platform/sink-adapters';
import { SinkWriter, batchIdOf, type FromAvroBytes, type WriterSink } from './sink-writer';

const rows = (coords: readonly [string, number, number][]): PlannedRow[] =>
  coords.map(([topic, partition, offset]) => ({
    record: { topic, partition, offset: String(offset), value: {}, headers: {} },
    row: {},
  }));

describe(batchIdOf.name, () => {
  it('gives the same rows the same id', () => {
    const a = rows([
      ['t', 0, 5],
      ['t', 0, 6],
      ['t', 1, 2],
    ]);
    expect(batchIdOf('x', a)).toBe(
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
          ['t', 1, 2],
        ]),
      ),
    );
    expect(batchIdOf('x', a)).toMatch(/^[0-9a-f]{24}$/);
  });

  it('gives different rows, tables or orders different ids', () => {
    const ids = [
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 7],
        ]),
      ),
      batchIdOf('x', rows([['t', 0, 5]])),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
          ['t', 0, 7],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 6],
          ['t', 0, 5],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['t', 0, 5],
          ['t', 1, 6],
        ]),
      ),
      batchIdOf(
        'x',
        rows([
          ['u', 0, 5],
          ['u', 0, 6],
        ]),
      ),
      batchIdOf(
        'y',
        rows([
          ['t', 0, 5],
          ['t', 0, 6],
        ]),
      ),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('SinkWriter, tables written from Avro bytes', () => {
  const schema: TableSchema = {
    columns: [
      { name: 'event_id', type: 'string' },
      { name: 'timestamp', type: 'timestamp' },
      { name: 'page', type: 'string' },
    ],
    key: ['event_id'],
    timeSeries: { column: 'timestamp' },
  };
  const binding: TableBinding = {
    topic: 'ev.page_view',
    table: 'events_page_view',
    stream: 'events',
    schema,
    columnMapping: { event_id: 'event_id', timestamp: 'timestamp', page: 'page' },
  };
  // The consumer decoded only the key and the time; the bytes stand for the whole value.
  const record = (id: string, offset: number) => ({
    topic: binding.topic,
    partition: 0,
    offset: String(offset),
    value: { event_id: id, timestamp: 1_000 + offset },
    headers: {},
    raw: { value: Buffer.from(`${id}|/page-${offset}`) },
  });
  const fromAvroBytes: FromAvroBytes = {
    tables: new Set([binding.table]),
    writerSchema: (id) => ({ id }),
    decode: (value) => {
      const [event_id, page] = value.toString('utf8').split('|');
      return { event_id, timestamp: 0, page };
    },
  };

  it('hands each sink the bytes of the planned rows, or the decoded rows when it cannot take them', async () => {
    const avroCalls: AvroRows[] = [];
    const rowCalls: (readonly SourceRow[])[] = [];
    const readsBytes: WriterSink = {
      writeBatch: () => Promise.reject(new Error('not expected')),
      writeAvroBatch: async (rows) => {
        avroCalls.push(rows);
        return rows.values.length;
      },
      deleteWindows: () => Promise.resolve(),
    };
    const takesRows: WriterSink = {
      writeBatch: async (rows) => {
        rowCalls.push(rows);
        return rows.length;
      },
      deleteWindows: () => Promise.resolve(),
    };
    const writer = new SinkWriter({
      sinks: [readsBytes, takesRows],
      bindings: new Map([[binding.topic, binding]]),
      maxRowsPerWrite: 100,
      fromAvroBytes,
    });
    // e1 twice: the planner keeps one.
    const failures = await writer.write([record('e1', 1), record('e2', 2), record('e1', 3)]);
    expect(failures).toEqual([]);
    expect(avroCalls).toHaveLength(1);
    expect(avroCalls[0]?.values.map((v) => v.toString('utf8'))).toEqual([
      'e1|/page-1',
      'e2|/page-2',
    ]);
    expect(avroCalls[0]?.rows).toEqual([
      { event_id: 'e1', timestamp: 1_001 },
      { event_id: 'e2', timestamp: 1_002 },
    ]);
    expect(avroCalls[0]?.writerSchema(7)).toEqual({ id: 7 });
    expect(rowCalls).toEqual([
      [
        { event_id: 'e1', timestamp: 0, page: '/page-1' },
        { event_id: 'e2', timestamp: 0, page: '/page-2' },
      ],
    ]);
  });

  it('fails a record without value bytes for good, and writes the others', async () => {
    const written: string[] = [];
    const sink: WriterSink = {
      writeBatch: () => Promise.reject(new Error('not expected')),
      writeAvroBatch: async (rows) => {
        written.push(...rows.values.map((v) => v.toString('utf8')));
        return rows.values.length;
      },
      deleteWindows: () => Promise.resolve(),
    };
    const writer = new SinkWriter({
      sinks: [sink],
      bindings: new Map([[binding.topic, binding]]),
      maxRowsPerWrite: 100,
      fromAvroBytes,
    });
    const empty = { ...record('e3', 3), raw: { value: null } };
    const failures = await writer.write([record('e1', 1), empty]);
    expect(failures.map((f) => f.record)).toEqual([empty]);
    expect(failures[0]?.error).toBeInstanceOf(WritePlanError);
    expect(written).toEqual(['e1|/page-1']);
  });
});
