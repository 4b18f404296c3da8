import { Sink, TableSchema } from '../sink.port';
import { HOSTILE_STRINGS } from './fixtures';

/** Rows of the events fixture with every hostile string, a NULL and an empty string. */
export function hostileEventRows(): {
  event_id: string;
  ts: number;
  label: string | null;
  n: number | null;
}[] {
  const base = Date.UTC(2024, 0, 1, 12, 0, 0, 1);
  return [
    ...HOSTILE_STRINGS.map((label, i) => ({ event_id: `e${i}`, ts: base + i, label, n: i })),
    { event_id: 'nulls', ts: base, label: null, n: null },
  ];
}

/** Creates the table twice: createTable must be idempotent. */
export async function createTwice(sink: Sink, table: string, schema: TableSchema): Promise<void> {
  await sink.createTable(table, schema);
  await sink.createTable(table, schema);
}
