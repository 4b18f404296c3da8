import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  BaseSink,
  coerceValue,
  collapseByKey,
  evaluateAggregates,
  evaluateSeries,
  retractedBy,
  SinkError,
  type BaseSinkOptions,
  type OutputRow,
  type QueryPlan,
  type Row,
  type SeriesPlan,
  type SeriesRows,
  type SinkHealth,
  type SinkPlugin,
  type SinkValue,
  type SourceRow,
  type TableSchema,
} from '@platform/sink-adapters';

/**
 * A sink built only on the public `@platform/sink-adapters` API, as a third party would:
 * one `<directory>/<table>.jsonl` per table, a JSON object per row. Writes append; reads
 * collapse rows by key with the port's version rule, so a replayed batch stores nothing
 * twice; queries are the plans evaluated in process.
 */
export interface JsonlSinkOptions extends BaseSinkOptions {
  /** Where the files go. Default `JSONL_SINK_DIR` from `env`, else `tmp/jsonl-sink`. */
  readonly directory?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class JsonlSink extends BaseSink {
  readonly name = 'jsonl';
  private readonly directory: string;

  constructor(options: JsonlSinkOptions = {}) {
    super(options);
    this.directory = options.directory ?? options.env?.['JSONL_SINK_DIR'] ?? 'tmp/jsonl-sink';
  }

  async connect(): Promise<void> {
    await this.io('connect', () => fs.mkdir(this.directory, { recursive: true }));
  }

  async close(): Promise<void> {
    // Nothing held open: every call opens its file.
  }

  async healthCheck(): Promise<SinkHealth> {
    const started = Date.now();
    try {
      await fs.access(this.directory, fs.constants.W_OK);
      return { ok: true, latencyMs: Date.now() - started };
    } catch (error) {
      return { ok: false, latencyMs: Date.now() - started, error: String(error) };
    }
  }

  protected async createTableIn(table: string): Promise<void> {
    await this.io(`create ${table}`, () => fs.appendFile(this.fileOf(table), ''));
  }

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
  ): Promise<void> {
    const written = new Set(columns);
    // Coerce every row before writing any, so a bad value fails the write whole.
    const lines = rows.map((row) => {
      const out: Record<string, SinkValue> = {};
      for (const spec of schema.columns) {
        out[spec.name] = coerceValue(spec, written.has(spec.name) ? row[spec.name] : null);
      }
      return toLine(out);
    });
    await this.io(`write ${table}`, () => fs.appendFile(this.fileOf(table), lines.join('')));
  }

  protected async deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void> {
    const retracted = retractedBy(schema, rows);
    const kept = (await this.rows(table, schema)).filter((row) => !retracted(row));
    await this.io(`delete from ${table}`, () =>
      fs.writeFile(this.fileOf(table), kept.map(toLine).join('')),
    );
  }

  async queryAggregates(plan: QueryPlan): Promise<OutputRow[]> {
    return evaluateAggregates(plan, await this.rows(plan.table));
  }

  async querySeries(plan: SeriesPlan): Promise<SeriesRows> {
    return evaluateSeries(plan, await this.rows(plan.table));
  }

  private fileOf(table: string): string {
    return path.join(this.directory, `${table}.jsonl`);
  }

  private async rows(
    table: string,
    schema: TableSchema = this.schemaOf(table),
  ): Promise<Record<string, SinkValue>[]> {
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(table), 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') {
        throw new SinkError('UNKNOWN_TABLE', `jsonl: no table ${table}`, { sink: this.name });
      }
      throw this.ioError(`read ${table}`, error);
    }
    const lines = text.split('\n').filter((line) => line !== '');
    return collapseByKey(
      schema,
      lines.map((line) => JSON.parse(line) as Record<string, SinkValue>),
    );
  }

  private async io(context: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw this.ioError(context, error);
    }
  }

  private ioError(context: string, error: unknown): SinkError {
    return new SinkError('IO', `jsonl: ${context}: ${String(error)}`, {
      cause: error,
      sink: this.name,
    });
  }
}

function toLine(row: Readonly<Record<string, SinkValue>>): string {
  // Longs beyond 2^53 arrive as bigint, which JSON cannot hold: kept as text.
  return `${JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))}\n`;
}

/** What the sink module loads from this package: `plugins: ['<path to this package>']`. */
export const sinks: SinkPlugin<JsonlSinkOptions>[] = [
  { name: 'jsonl', create: (options) => new JsonlSink(options) },
];
