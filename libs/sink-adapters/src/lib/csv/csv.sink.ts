import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BaseSink, BaseSinkOptions } from '../base.sink';
import { SinkError, messageOf } from '../sink.error';
import { evaluateAggregates, evaluateSeries } from '../query/in-process-query';
import type { QueryPlan } from '../query/query-request';
import type { OutputRow } from '../query/query-sql';
import type { SeriesPlan, SeriesRows } from '../query/series-query';
import {
  ColumnSpec,
  Row,
  SinkHealth,
  SinkValue,
  SourceRow,
  TableSchema,
  WriteOptions,
} from '../sink.port';
import { coerceValue } from '../value-coercion';
import { collapseByKey, retractedBy } from '../memory/memory.sink';

export interface CsvSinkOptions extends BaseSinkOptions {
  /** Directory of the CSV files: one `<table>.csv` per table, backups in `backup/`. */
  readonly directory: string;
}

function ioError(context: string, error: unknown): SinkError {
  return new SinkError('IO', `csv: ${context}: ${messageOf(error)}`, {
    cause: error,
    sink: 'csv',
    retriable: false,
  });
}

/** A coerced value as text: timestamps as ISO-8601 UTC with milliseconds. */
function toCell(spec: ColumnSpec, value: SinkValue): string | null {
  if (value === null) return null;
  if (spec.type === 'timestamp' || spec.type === 'datetime') {
    return new Date(Number(value)).toISOString();
  }
  if (spec.type === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

function fromCell(spec: ColumnSpec, text: string | null): SinkValue {
  if (text === null) return null;
  switch (spec.type) {
    case 'string':
    case 'date':
      return text;
    case 'boolean':
      return text === 'true';
    case 'timestamp':
    case 'datetime':
      return Date.parse(text);
    default:
      return Number(text);
  }
}

/**
 * A directory of CSV files (seed 004's CSV saver): one file per table with a header row;
 * writes append. Before each write the current file is copied to `backup/<table>.csv`.
 * NULL is an empty unquoted field and an empty string is `""`, so both survive a round trip.
 * Reads (`rows`, and the query plans, evaluated in process) collapse rows by key with the
 * same rules as the database sinks; a retraction rewrites the file without its rows.
 */
export class CsvSink extends BaseSink {
  readonly name = 'csv';
  private open = false;

  constructor(private readonly options: CsvSinkOptions) {
    super(options);
  }

  fileOf(table: string): string {
    return path.join(this.options.directory, `${table}.csv`);
  }

  backupOf(table: string): string {
    return path.join(this.options.directory, 'backup', `${table}.csv`);
  }

  async connect(): Promise<void> {
    try {
      await fs.mkdir(path.join(this.options.directory, 'backup'), { recursive: true });
    } catch (error) {
      throw ioError('connect', error);
    }
    this.open = true;
  }

  async close(): Promise<void> {
    this.open = false;
  }

  async healthCheck(): Promise<SinkHealth> {
    const started = Date.now();
    try {
      await fs.access(this.options.directory, fs.constants.W_OK);
      return {
        ok: this.open,
        latencyMs: Date.now() - started,
        ...(this.open ? {} : { error: 'closed' }),
      };
    } catch (error) {
      return { ok: false, latencyMs: Date.now() - started, error: messageOf(error) };
    }
  }

  protected async createTableIn(table: string, schema: TableSchema): Promise<void> {
    this.ensureOpen();
    const header = schema.columns.map((c) => c.name);
    const file = this.fileOf(table);
    try {
      const existing = await readHeader(file);
      if (existing === undefined) {
        await fs.writeFile(file, stringify([header]), { flag: 'wx' }).catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'EEXIST') throw error;
        });
      } else if (existing.join(',') !== header.join(',')) {
        throw new SinkError(
          'INVALID_SCHEMA',
          `csv: ${file} has columns ${existing.join(',')}, expected ${header.join(',')}`,
          { sink: this.name },
        );
      }
    } catch (error) {
      if (error instanceof SinkError) throw error;
      throw ioError(`create table ${table}`, error);
    }
  }

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    _options: WriteOptions,
  ): Promise<void> {
    this.ensureOpen();
    const written = new Set(columns);
    const records = rows.map((row) =>
      schema.columns.map((spec) =>
        toCell(spec, coerceValue(spec, written.has(spec.name) ? row[spec.name] : null)),
      ),
    );
    const file = this.fileOf(table);
    try {
      await fs.copyFile(file, this.backupOf(table));
      await fs.appendFile(file, stringify(records, { quoted_string: true }));
    } catch (error) {
      throw ioError(`write to ${table}`, error);
    }
  }

  protected async deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void> {
    const retracted = retractedBy(schema, rows);
    const kept = (await this.rows(table)).filter((row) => !retracted(row));
    const header = schema.columns.map((c) => c.name);
    const records = kept.map((row) =>
      schema.columns.map((spec) => toCell(spec, row[spec.name] ?? null)),
    );
    const file = this.fileOf(table);
    try {
      await fs.copyFile(file, this.backupOf(table));
      await fs.writeFile(file, stringify([header]) + stringify(records, { quoted_string: true }));
    } catch (error) {
      throw ioError(`delete from ${table}`, error);
    }
  }

  async queryAggregates(plan: QueryPlan): Promise<OutputRow[]> {
    return evaluateAggregates(plan, await this.rows(plan.table));
  }

  async querySeries(plan: SeriesPlan): Promise<SeriesRows> {
    return evaluateSeries(plan, await this.rows(plan.table));
  }

  /** The rows of `table`, collapsed by key (times in epoch ms). */
  async rows(table: string): Promise<Record<string, SinkValue>[]> {
    this.ensureOpen();
    const schema = this.schemaOf(table);
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(table), 'utf8');
    } catch (error) {
      throw ioError(`read ${table}`, error);
    }
    const records = parse(text, {
      from_line: 2,
      relax_column_count: false,
      cast: (value: string, context: { quoting: boolean }) =>
        value === '' && !context.quoting ? null : value,
    }) as (string | null)[][];
    return collapseByKey(
      schema,
      records.map((record) => {
        const row: Record<string, SinkValue> = {};
        schema.columns.forEach((spec, i) => {
          row[spec.name] = fromCell(spec, record[i] ?? null);
        });
        return row;
      }),
    );
  }

  private ensureOpen(): void {
    if (!this.open)
      throw new SinkError('NOT_CONNECTED', 'csv: call connect() first', { sink: this.name });
  }
}

async function readHeader(file: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  const [header] = parse(text, { to_line: 1 }) as string[][];
  return header ?? [];
}
