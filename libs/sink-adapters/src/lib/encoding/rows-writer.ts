import { assertIdentifier } from '../identifiers';
import { ColumnSpec, Row } from '../sink.port';
import { ByteWriter } from './byte-writer';

/** Writes one field: the raw value of `spec`'s column in a row. */
export type FieldWriter = (w: ByteWriter, spec: ColumnSpec, raw: unknown) => void;

/** Writes rows `from` (inclusive) to `to` (exclusive) of `rows`. */
export type RowsWriter = (rows: readonly Row[], from: number, to: number, w: ByteWriter) => void;

export interface RowLayout {
  /** An int16 (big-endian) written before each row's fields, e.g. its field count. */
  readonly rowPrefixInt16?: number;
  /** A byte written after each field but the last, e.g. a tab. */
  readonly fieldSeparator?: number;
  /** A byte written after each row, e.g. a newline. */
  readonly rowTerminator?: number;
}

/**
 * A loop over rows, compiled once per column list, that reads every column under its
 * constant name (`row["event_id"]`): each read is a monomorphic property load on the
 * decoded records' one shape, where `row[spec.name]` in a loop over columns is a
 * megamorphic keyed load. Column names are checked identifiers and are embedded as JSON
 * string literals.
 */
export function compileRowsWriter(
  specs: readonly ColumnSpec[],
  fieldWriter: (spec: ColumnSpec) => FieldWriter,
  layout: RowLayout,
): RowsWriter {
  const lines: string[] = [];
  if (layout.rowPrefixInt16 !== undefined) lines.push(`w.int16BE(${layout.rowPrefixInt16 | 0});`);
  specs.forEach((spec, i) => {
    assertIdentifier(spec.name, 'column name');
    lines.push(`f${i}(w, s${i}, row[${JSON.stringify(spec.name)}]);`);
    if (i < specs.length - 1 && layout.fieldSeparator !== undefined) {
      lines.push(`w.byte(${layout.fieldSeparator | 0});`);
    }
  });
  if (layout.rowTerminator !== undefined) lines.push(`w.byte(${layout.rowTerminator | 0});`);
  const names = specs.flatMap((_, i) => [`f${i}`, `s${i}`]);
  const args = specs.flatMap((spec) => [fieldWriter(spec), spec]);
  const body =
    `return function writeRows(rows, from, to, w) {\n` +
    `  for (let i = from; i < to; i++) {\n    const row = rows[i];\n    ${lines.join('\n    ')}\n  }\n};`;
  const make = new Function(...names, body) as (...fns: unknown[]) => RowsWriter;
  return make(...args);
}
