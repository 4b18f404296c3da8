import { isIdentity, mapRows } from './column-mapping';
import {
  avroRangeWriter,
  type AvroRangeWriter,
  type AvroRowsWriter,
} from './encoding/avro-rows-writer';
import { assertIdentifier } from './identifiers';
import { SinkError } from './sink.error';
import {
  AvroRows,
  NOOP_SINK_METRICS,
  Row,
  Sink,
  SinkHealth,
  SinkMetrics,
  SourceRow,
  TableSchema,
  WriteOptions,
} from './sink.port';
import { validateTableSchema } from './table-schema';
import type { QueryPlan } from './query/query-request';
import type { OutputRow } from './query/query-sql';
import type { SeriesPlan, SeriesRows } from './query/series-query';

export interface BaseSinkOptions {
  readonly metrics?: SinkMetrics;
}

/**
 * What every driver shares: the schemas declared through `createTable`, column checks, and
 * `writeBatch` (column mapping, row counting, metrics). Drivers implement the I/O.
 */
export abstract class BaseSink implements Sink {
  abstract readonly name: string;
  protected readonly metrics: SinkMetrics;
  /**
   * True when `writeRowsTo` reads each column straight from the row and coerces it (nested
   * values included, `coerceValue`): `writeBatch` then hands source rows over as they are
   * when the mapping is the identity, instead of building a mapped copy of every row.
   */
  protected readonly coercesSourceRows: boolean = false;
  private readonly schemas = new Map<string, TableSchema>();
  private readonly avroWriters = new Map<
    string,
    { schema: TableSchema; write: AvroRowsWriter | undefined }
  >();

  protected constructor(options: BaseSinkOptions = {}) {
    this.metrics = options.metrics ?? NOOP_SINK_METRICS;
  }

  abstract connect(): Promise<void>;
  abstract queryAggregates(plan: QueryPlan): Promise<OutputRow[]>;
  abstract querySeries(plan: SeriesPlan): Promise<SeriesRows>;
  abstract healthCheck(): Promise<SinkHealth>;
  abstract close(): Promise<void>;
  protected abstract createTableIn(table: string, schema: TableSchema): Promise<void>;
  protected abstract writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    options: WriteOptions,
  ): Promise<void>;
  /** Deletes the rows matching `rows` by key whose version is not newer (see `deleteWindows`). */
  protected abstract deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void>;

  async createTable(table: string, schema: TableSchema): Promise<void> {
    validateTableSchema(table, schema);
    await this.createTableIn(table, schema);
    this.schemas.set(table, schema);
  }

  async writeRows(
    table: string,
    rows: readonly Row[],
    columns: readonly string[],
    options: WriteOptions = {},
  ): Promise<number> {
    const schema = this.schemaOf(table);
    this.checkColumns(table, schema, columns);
    if (rows.length === 0) return 0;
    await this.writeRowsTo(table, schema, rows, columns, options);
    return rows.length;
  }

  async deleteWindows(table: string, rows: readonly SourceRow[]): Promise<void> {
    const schema = this.schemaOf(table);
    if (rows.length > 0) await this.deleteRowsFrom(table, schema, rows);
  }

  async writeBatch(
    rows: readonly SourceRow[],
    batchId: string | number,
    table: string,
    columnMapping: Readonly<Record<string, string>>,
  ): Promise<number> {
    return this.timedWrite(table, () => {
      const mapped =
        this.coercesSourceRows && isIdentity(columnMapping)
          ? (rows as readonly Row[])
          : mapRows(rows, columnMapping);
      return this.writeRows(table, mapped, Object.values(columnMapping), {
        batchId: String(batchId),
      });
    });
  }

  async writeAvroBatch(rows: AvroRows, batchId: string | number, table: string): Promise<number> {
    return this.timedWrite(table, async () => {
      const schema = this.schemaOf(table);
      if (rows.values.length === 0) return 0;
      const options = { batchId: String(batchId) };
      const write = avroRangeWriter(rows.values, (id) =>
        this.avroWriterFor(table, schema, id, rows),
      );
      if (write !== undefined) {
        await this.writeAvroRowsTo(table, schema, rows, write, options);
        return rows.values.length;
      }
      // Not read from the bytes (this driver does not, or a writer schema it cannot read):
      // the decoded values, as writeBatch would have been given them.
      const columns = schema.columns.map((c) => c.name);
      const decoded = rows.values.map((v) => rows.decode(v));
      const mapped = this.coercesSourceRows
        ? (decoded as readonly Row[])
        : mapRows(decoded, Object.fromEntries(columns.map((c) => [c, c])));
      await this.writeRowsTo(table, schema, mapped, columns, options);
      return rows.values.length;
    });
  }

  /**
   * The driver's writer of every column of `schema` from Avro values of `writerSchema`
   * (`compileAvroRowsWriter` with its own layout and field writer), or undefined when it has
   * none (the default) or cannot read that schema: `writeAvroBatch` then decodes the values.
   * Compiled once per table and writer schema id.
   */
  protected avroRowsWriter(
    _schema: TableSchema,
    _writerSchema: unknown,
  ): AvroRowsWriter | undefined {
    return undefined;
  }

  /** Writes rows `0` to `rows.values.length` with `write`; called only when `avroRowsWriter` gave one. */
  protected writeAvroRowsTo(
    _table: string,
    _schema: TableSchema,
    _rows: AvroRows,
    _write: AvroRangeWriter,
    _options: WriteOptions,
  ): Promise<void> {
    return Promise.reject(new Error(`${this.name}: writeAvroRowsTo without avroRowsWriter`));
  }

  /** Drops the compiled Avro writers, e.g. when what they were compiled for changed. */
  protected forgetAvroWriters(): void {
    this.avroWriters.clear();
  }

  private avroWriterFor(
    table: string,
    schema: TableSchema,
    schemaId: number,
    rows: AvroRows,
  ): AvroRowsWriter | undefined {
    const key = `${table}\u0000${schemaId}`;
    const cached = this.avroWriters.get(key);
    if (cached !== undefined && cached.schema === schema) return cached.write;
    const writerSchema = rows.writerSchema(schemaId);
    // Not loaded yet: nothing cached, so a later write tries again.
    if (writerSchema === undefined) return undefined;
    const write = this.avroRowsWriter(schema, writerSchema);
    this.avroWriters.set(key, { schema, write });
    return write;
  }

  /** Runs a write, recording its rows, duration and outcome. */
  private async timedWrite(table: string, write: () => Promise<number>): Promise<number> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const written = await write();
      this.metrics.recordWrite(this.name, table, written, seconds(), true);
      return written;
    } catch (error) {
      this.metrics.recordWrite(this.name, table, 0, seconds(), false);
      throw error;
    }
  }

  /** The schema declared for `table` through `createTable` on this sink. */
  protected schemaOf(table: string): TableSchema {
    assertIdentifier(table, 'table name');
    const schema = this.schemas.get(table);
    if (!schema) {
      throw new SinkError(
        'UNKNOWN_TABLE',
        `${this.name}: table ${table} has no declared schema; call createTable(table, schema) first (it is idempotent)`,
        { sink: this.name },
      );
    }
    return schema;
  }

  private checkColumns(table: string, schema: TableSchema, columns: readonly string[]): void {
    const known = new Set(schema.columns.map((c) => c.name));
    const seen = new Set<string>();
    for (const column of columns) {
      if (!known.has(column)) {
        throw new SinkError('INVALID_ARGUMENT', `${this.name}: ${table} has no column ${column}`, {
          sink: this.name,
        });
      }
      if (seen.has(column)) {
        throw new SinkError('INVALID_ARGUMENT', `${this.name}: column ${column} is written twice`, {
          sink: this.name,
        });
      }
      seen.add(column);
    }
    for (const key of schema.key) {
      if (!seen.has(key)) {
        throw new SinkError(
          'INVALID_ARGUMENT',
          `${this.name}: key column ${key} of ${table} must be written`,
          { sink: this.name },
        );
      }
    }
    if (schema.versionColumn !== undefined && !seen.has(schema.versionColumn)) {
      throw new SinkError(
        'INVALID_ARGUMENT',
        `${this.name}: version column ${schema.versionColumn} of ${table} must be written`,
        { sink: this.name },
      );
    }
  }
}
