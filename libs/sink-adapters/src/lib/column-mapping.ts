import { Row, SinkValue, SourceRow } from './sink.port';

/**
 * Reads `path` from a source row: a key that exists as written wins (`"window.start"` as one
 * key), otherwise the dots walk into nested objects (`row.window.start`).
 */
export function readPath(row: SourceRow, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(row, path)) return row[path];
  let current: unknown = row;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function toSinkValue(value: unknown): SinkValue | undefined {
  if (value === undefined) return undefined;
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    value instanceof Date
  ) {
    return value;
  }
  // Nested objects that are not mapped to a column are stored as their JSON text.
  return JSON.stringify(value);
}

/** Applies a column mapping (source path → column) to every row. */
export function mapRows(
  rows: readonly SourceRow[],
  columnMapping: Readonly<Record<string, string>>,
): Row[] {
  const entries = Object.entries(columnMapping);
  return rows.map((row) => {
    const out: Record<string, SinkValue | undefined> = {};
    for (const [source, column] of entries) out[column] = toSinkValue(readPath(row, source));
    return out;
  });
}

/** True when every source field maps to the column of its own name. */
export function isIdentity(columnMapping: Readonly<Record<string, string>>): boolean {
  for (const source in columnMapping) if (columnMapping[source] !== source) return false;
  return true;
}
