import { pgConnection, typeormPostgres, type PostgresSettings } from '@platform/config';
import { Pool, PoolClient, types as pgTypes } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource, Table } from 'typeorm';
import type { BaseSinkOptions } from '../base.sink';
import { SqlSink } from '../sql.sink';
import { assertIdentifier } from '../identifiers';
import { SinkError, messageOf } from '../sink.error';
import {
  AvroRows,
  QueryParams,
  QueryRow,
  Row,
  SinkHealth,
  SourceRow,
  TableSchema,
  WriteOptions,
} from '../sink.port';
import { postgresDialect, type SqlDialect } from '../query/query-sql';
import { postgresDeleteStatement } from '../writes/row-deleter';
import { sqlStateOf, toPostgresSinkError } from './postgres-errors';
import { copyBinaryAvroWriter, copyBinaryBodyOf, copyBinaryWriter } from './postgres-binary';
import type { AvroRangeWriter, AvroRowsWriter } from '../encoding/avro-rows-writer';
import {
  createPartitionSql,
  dayOf,
  hypertableSql,
  partitionDay,
  partitionedTableSql,
  partitionName,
  planPartitions,
  postgresFeatures,
  timeSeriesKey,
  type PostgresFeatures,
} from './postgres-partitions';
import { pgIdent, pgQualified, typeormColumns, upsertFromStagingSql } from './postgres-sql';

export interface PostgresSinkOptions extends BaseSinkOptions {
  readonly settings: PostgresSettings;
  /** Connections of the write/query pool. Default 4. */
  readonly poolSize?: number;
  /** COPYs a large write is split into, run at once on their own connections. Default 2. */
  readonly copyConnections?: number;
  /** Daily partitions of a time-series table made ahead of today. Default 7. */
  readonly partitionsAheadDays?: number;
  /** `false` keeps time series in plain partitions even where TimescaleDB is available. */
  readonly timescaledb?: boolean;
}

const INT8_OID = 20;
const DATE_OID = 1082;
const UNIQUE_VIOLATION = '23505';
const MIN_PARTITION_MS = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_PARTITION_MS = new Date('9999-12-30T00:00:00Z').getTime();
/** A write is split over several COPYs only when each gets at least this many rows. */
const MIN_ROWS_PER_COPY = 5_000;

/**
 * Per-pool type parsers (never the global ones): bigint as a number when it is safe, a date
 * as its `YYYY-MM-DD` text rather than a local-midnight Date.
 */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) {
      return (text: string) => (Number.isSafeInteger(Number(text)) ? Number(text) : text);
    }
    if (oid === DATE_OID) return (text: string) => text;
    return format === 'binary'
      ? pgTypes.getTypeParser(oid, 'binary')
      : pgTypes.getTypeParser(oid, 'text');
  }) as typeof pgTypes.getTypeParser,
};

/**
 * PostgreSQL. TypeORM owns the schema (target schema and tables, through its QueryRunner);
 * writes go through `pg` + `pg-copy-streams`: one COPY straight into the table, which is as
 * fast as `psql \copy`. Only when that COPY hits the table's key (rows written before, as
 * after a crash between the write and the offset commit) does the batch go again through a
 * temporary staging table and one `INSERT ... SELECT ... ON CONFLICT`, which is idempotent
 * (README, "Writes").
 */
export class PostgresSink extends SqlSink {
  readonly name = 'postgres';
  protected override readonly coercesSourceRows = true;
  private pool?: Pool;
  private dataSource?: DataSource;
  private readonly pgSchema: string;
  private readonly copyConnections: number;
  private pgFeatures: PostgresFeatures = postgresFeatures('', []);
  /** Time-series tables by how they are stored; days whose partition is known to exist. */
  private readonly timeSeries = new Map<
    string,
    { kind: 'partitions' | 'hypertable' | 'legacy'; days: Set<number>; schema: TableSchema }
  >();
  private readonly encoders = new Map<
    string,
    { schema: TableSchema; encode: (rows: readonly Row[]) => Buffer[] }
  >();

  constructor(private readonly options: PostgresSinkOptions) {
    super(options);
    this.pgSchema = assertIdentifier(options.settings.schema, 'PostgreSQL schema');
    this.copyConnections = options.copyConnections ?? 2;
    if (!Number.isInteger(this.copyConnections) || this.copyConnections < 1) {
      throw new SinkError(
        'INVALID_ARGUMENT',
        'postgres: copyConnections must be a positive integer',
      );
    }
  }

  /** The server version and whether TimescaleDB is available (read at connect). */
  get features(): PostgresFeatures {
    return this.pgFeatures;
  }

  /** The PostgreSQL schema that holds this sink's tables. */
  get schemaName(): string {
    return this.pgSchema;
  }

  async connect(): Promise<void> {
    if (this.pool) return;
    const { settings } = this.options;
    const dataSource = new DataSource({
      ...typeormPostgres(settings),
      schema: this.pgSchema,
      poolSize: 1,
      synchronize: false,
      logging: false,
    });
    const pool = new Pool({
      ...pgConnection(settings),
      max: this.options.poolSize ?? 4,
      types: typeParsers,
    });
    // An idle connection the server (or network) dropped: the pool discards it and the next
    // query opens a new one. Unhandled, this 'error' event would end the process.
    pool.on('error', () => undefined);
    try {
      await dataSource.initialize();
      const runner = dataSource.createQueryRunner();
      try {
        await runner.createSchema(this.pgSchema, true);
      } finally {
        await runner.release();
      }
      const version = await pool.query<{ server_version: string }>('SHOW server_version');
      const extensions = await pool.query<{ name: string }>(
        "SELECT name FROM pg_available_extensions WHERE name = 'timescaledb'",
      );
      this.pgFeatures = postgresFeatures(
        version.rows[0]?.server_version ?? '',
        extensions.rows.map((r) => r.name),
      );
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      throw toPostgresSinkError(error, 'connect');
    }
    this.dataSource = dataSource;
    this.pool = pool;
  }

  async close(): Promise<void> {
    const { pool, dataSource } = this;
    this.pool = undefined;
    this.dataSource = undefined;
    await pool?.end();
    if (dataSource?.isInitialized) await dataSource.destroy();
  }

  async healthCheck(): Promise<SinkHealth> {
    const started = Date.now();
    if (!this.pool) return { ok: false, latencyMs: 0, error: 'not connected' };
    try {
      const result = await this.pool.query<{ server_version: string }>('SHOW server_version');
      return { ok: true, latencyMs: Date.now() - started, version: result.rows[0]?.server_version };
    } catch (error) {
      return { ok: false, latencyMs: Date.now() - started, error: messageOf(error) };
    }
  }

  protected async createTableIn(table: string, schema: TableSchema): Promise<void> {
    if (schema.timeSeries !== undefined) {
      await this.createTimeSeries(table, schema);
      return;
    }
    const dataSource = this.requireDataSource();
    const runner = dataSource.createQueryRunner();
    try {
      await runner.createTable(
        new Table({ schema: this.pgSchema, name: table, columns: typeormColumns(schema) }),
        true,
      );
    } catch (error) {
      throw toPostgresSinkError(error, `create table ${table}`);
    } finally {
      await runner.release();
    }
  }

  /**
   * A time-series table: a TimescaleDB hypertable when the extension is available (and not
   * turned off), else a table partitioned by day with partitions made ahead. A table that
   * exists already unpartitioned is kept as it is.
   */
  private async createTimeSeries(table: string, schema: TableSchema): Promise<void> {
    const pool = this.requirePool();
    const target = pgQualified(this.pgSchema, table);
    try {
      const existing = await pool.query<{ relkind: string }>(
        `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2`,
        [this.pgSchema, table],
      );
      const relkind = existing.rows[0]?.relkind;
      let kind: 'partitions' | 'hypertable' | 'legacy';
      if (relkind === 'p') kind = 'partitions';
      else if (relkind !== undefined)
        kind = (await this.isHypertable(table)) ? 'hypertable' : 'legacy';
      else if (this.pgFeatures.timescaledb && this.options.timescaledb !== false) {
        await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        for (const sql of hypertableSql(this.pgSchema, table, schema)) await pool.query(sql);
        kind = 'hypertable';
      } else {
        await pool.query(partitionedTableSql(this.pgSchema, table, schema));
        kind = 'partitions';
      }
      this.timeSeries.set(table, { kind, days: new Set(), schema });
      if (kind === 'partitions') await this.maintainPartitions(table);
    } catch (error) {
      throw toPostgresSinkError(error, `create table ${target}`);
    }
  }

  private async isHypertable(table: string): Promise<boolean> {
    if (!this.pgFeatures.timescaledb) return false;
    const rows = await this.requirePool()
      .query(
        'SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2',
        [this.pgSchema, table],
      )
      .catch(() => ({ rows: [] }));
    return rows.rows.length > 0;
  }

  /**
   * The retention job of a partitioned time-series table: makes the partitions of today and
   * the next `partitionsAheadDays` days, and drops every partition older than the table's
   * retention. Runs when the table is declared and whenever a write reaches a day without a
   * partition; safe to run from several writers at once (one advisory lock per table).
   */
  async maintainPartitions(
    table: string,
    nowMs: number = Date.now(),
  ): Promise<{ created: readonly number[]; dropped: readonly number[] }> {
    const state = this.timeSeries.get(table);
    if (state?.kind !== 'partitions') return { created: [], dropped: [] };
    const existing = await this.partitionDays(table);
    const plan = planPartitions(
      existing,
      nowMs,
      this.options.partitionsAheadDays ?? 7,
      state.schema.timeSeries?.retentionMs,
    );
    await this.withTableLock(table, async (client) => {
      for (const day of plan.create) await this.createPartition(client, table, day);
      for (const day of plan.drop)
        await client.query(
          `DROP TABLE IF EXISTS ${pgQualified(this.pgSchema, partitionName(table, day))}`,
        );
    });
    state.days = new Set([...existing, ...plan.create].filter((d) => !plan.drop.includes(d)));
    return { created: plan.create, dropped: plan.drop };
  }

  /** The days of a partitioned table's partitions, from the catalog. */
  async partitionDays(table: string): Promise<number[]> {
    const { rows } = await this.requirePool().query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = $2`,
      [this.pgSchema, table],
    );
    return rows
      .map((r) => partitionDay(table, r.name))
      .filter((d): d is number => d !== undefined)
      .sort((a, b) => a - b);
  }

  /** Makes the partitions the rows' days need (rows of a day the table lacks, e.g. a backfill). */
  private async ensurePartitions(table: string, column: string, rows: readonly Row[]) {
    const state = this.timeSeries.get(table);
    if (state?.kind !== 'partitions') return;
    const missing = new Set<number>();
    for (const row of rows) {
      const value = row[column];
      const ms = value instanceof Date ? value.getTime() : Number(value);
      // A time no partition can be named for (before year 1, after 9999) is left to the COPY,
      // which refuses the row with PostgreSQL's reason.
      if (!Number.isFinite(ms) || ms < MIN_PARTITION_MS || ms > MAX_PARTITION_MS) continue;
      const day = dayOf(ms);
      if (!state.days.has(day)) missing.add(day);
    }
    if (missing.size === 0) return;
    await this.withTableLock(table, async (client) => {
      for (const day of missing) await this.createPartition(client, table, day);
    });
    for (const day of missing) state.days.add(day);
    if ([...missing].some((d) => d >= dayOf(Date.now()))) await this.maintainPartitions(table);
  }

  /** Makes and attaches a day's partition, unless another writer did (under the table lock). */
  private async createPartition(client: PoolClient, table: string, day: number): Promise<void> {
    const sql = createPartitionSql(this.pgSchema, table, day);
    await client.query(sql.create);
    const attached = await client.query(
      `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [this.pgSchema, partitionName(table, day)],
    );
    if (attached.rows.length === 0) await client.query(sql.attach);
  }

  private async withTableLock(
    table: string,
    fn: (client: PoolClient) => Promise<void>,
  ): Promise<void> {
    const client = await this.requirePool().connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `${this.pgSchema}.${table}:partitions`,
      ]);
      await fn(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toPostgresSinkError(error, `partitions of ${table}`);
    } finally {
      client.release();
    }
  }

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    _options: WriteOptions,
  ): Promise<void> {
    const encode = this.encoderFor(table, schema, columns);
    const parts = split(rows.length, this.copyConnections, MIN_ROWS_PER_COPY);
    await this.copyRows(table, schema, columns, rows, parts, (part) =>
      encode(rows.slice(part.from, part.to)),
    );
  }

  protected override avroRowsWriter(
    schema: TableSchema,
    writerSchema: unknown,
  ): AvroRowsWriter | undefined {
    return copyBinaryAvroWriter(schema.columns, writerSchema);
  }

  protected override async writeAvroRowsTo(
    table: string,
    schema: TableSchema,
    rows: AvroRows,
    write: AvroRangeWriter,
    _options: WriteOptions,
  ): Promise<void> {
    const columns = schema.columns.map((c) => c.name);
    const parts = split(rows.values.length, this.copyConnections, MIN_ROWS_PER_COPY);
    await this.copyRows(table, schema, columns, rows.rows, parts, (part) =>
      copyBinaryBodyOf((w) => write(part.from, part.to, w)),
    );
  }

  /**
   * Makes the partitions the rows need, encodes every part (a bad value fails before
   * anything is sent), then COPYs the parts at once, each on its own connection: the server
   * parses and indexes them on two cores. Every part settles before this returns or throws,
   * so a retry never races a COPY still running; a part that committed before another
   * failed is a replay next time.
   */
  private async copyRows(
    table: string,
    schema: TableSchema,
    columns: readonly string[],
    rows: readonly Row[],
    parts: readonly RowRange[],
    encode: (part: RowRange) => Buffer[],
  ): Promise<void> {
    const pool = this.requirePool();
    const series = this.timeSeries.get(table);
    if (series !== undefined && schema.timeSeries !== undefined) {
      await this.ensurePartitions(table, schema.timeSeries.column, rows);
      // The primary key holds the time column: the upsert's conflict target must name it.
      if (series.kind !== 'legacy') schema = { ...schema, key: timeSeriesKey(schema) };
    }
    let bodies: Buffer[][];
    try {
      bodies = parts.map(encode);
    } catch (error) {
      if (!(error instanceof SinkError)) throw error;
      throw new SinkError(error.code, `postgres: write to ${table}: ${error.message}`, {
        cause: error,
        sink: this.name,
        retriable: error.retriable,
      });
    }
    const cols = columns.map(pgIdent).join(', ');
    const settled = await Promise.allSettled(
      bodies.map((body, i) =>
        this.copyPart(pool, table, schema, columns, cols, body, rowsIn(parts[i] as RowRange)),
      ),
    );
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
  }

  /** The binary COPY encoder of these columns, compiled once per table and column list. */
  private encoderFor(
    table: string,
    schema: TableSchema,
    columns: readonly string[],
  ): (rows: readonly Row[]) => Buffer[] {
    const key = `${table}\u0000${columns.join(',')}`;
    const cached = this.encoders.get(key);
    if (cached !== undefined && cached.schema.columns === schema.columns) return cached.encode;
    const specs = columns.map((name) => {
      const spec = schema.columns.find((c) => c.name === name);
      if (!spec)
        throw new SinkError('INVALID_ARGUMENT', `postgres: ${table} has no column ${name}`);
      return spec;
    });
    const encode = copyBinaryWriter(specs);
    this.encoders.set(key, { schema, encode });
    return encode;
  }

  /**
   * Optimistic: straight into the table, one statement, no staging. A unique violation means
   * these rows (or some) were written before, a replay after a crash, or the batch repeats a
   * key: the COPY rolled back whole, and the same rows go through a temporary staging table
   * and one idempotent `INSERT ... SELECT ... ON CONFLICT`.
   */
  private async copyPart(
    pool: Pool,
    table: string,
    schema: TableSchema,
    columns: readonly string[],
    cols: string,
    body: readonly Buffer[],
    rows: number,
  ): Promise<void> {
    const target = pgQualified(this.pgSchema, table);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      // A connection lost mid-write fails the statement in hand (and so this write); the
      // client's own 'error' event, which the pool listens to only while it is idle, must
      // not end the process.
      client.on('error', ignore);
      try {
        await copy(client, `COPY ${target} (${cols}) FROM STDIN WITH (FORMAT binary)`, body);
        return;
      } catch (error) {
        if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
      }
      this.metrics.recordConflict?.(this.name, table, rows);
      const staging = `_stage_${table}`.slice(0, 63);
      await client.query('BEGIN');
      await client.query(
        `CREATE TEMP TABLE ${pgIdent(staging)} (LIKE ${target} INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
      await copy(
        client,
        `COPY ${pgIdent(staging)} (${cols}) FROM STDIN WITH (FORMAT binary)`,
        body,
      );
      await client.query(upsertFromStagingSql(this.pgSchema, table, staging, schema, columns));
      await client.query('COMMIT');
    } catch (error) {
      if (client) await client.query('ROLLBACK').catch(() => undefined);
      throw toPostgresSinkError(error, `write to ${table}`);
    } finally {
      client?.removeListener('error', ignore);
      client?.release();
    }
  }

  /** Runs `sql` with positional `$1, $2, ...` parameters. */
  protected async deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void> {
    const s = postgresDeleteStatement(this.pgSchema, table, schema, rows);
    await this.query(s.sql, s.params);
  }

  protected dialect(): SqlDialect {
    return postgresDialect({ schema: this.pgSchema });
  }

  /** Runs `sql` with positional parameters (the driver's own door, not part of the port). */
  async query(sql: string, params?: QueryParams): Promise<QueryRow[]> {
    const pool = this.requirePool();
    if (params !== undefined && !Array.isArray(params)) {
      throw new SinkError(
        'INVALID_ARGUMENT',
        'postgres: parameters are positional ($1, $2, ...): pass an array',
      );
    }
    try {
      const result = await pool.query<QueryRow>(sql, params ? [...params] : undefined);
      return result.rows;
    } catch (error) {
      throw toPostgresSinkError(error, 'query');
    }
  }

  private requirePool(): Pool {
    if (!this.pool) throw this.notConnected();
    return this.pool;
  }

  private requireDataSource(): DataSource {
    if (!this.dataSource) throw this.notConnected();
    return this.dataSource;
  }

  private notConnected(): SinkError {
    return new SinkError('NOT_CONNECTED', 'postgres: call connect() first', {
      sink: this.name,
      retriable: false,
    });
  }
}

interface RowRange {
  readonly from: number;
  readonly to: number;
}

const rowsIn = (range: RowRange): number => range.to - range.from;

/** `count` rows in up to `ways` contiguous ranges of at least `min` rows each (one if fewer). */
function split(count: number, ways: number, min: number): RowRange[] {
  const n = Math.max(1, Math.min(ways, Math.floor(count / min)));
  const size = Math.ceil(count / n);
  const parts: RowRange[] = [];
  for (let from = 0; from < count; from += size)
    parts.push({ from, to: Math.min(count, from + size) });
  return parts.length === 0 ? [{ from: 0, to: 0 }] : parts;
}

function ignore(): void {
  // See copyPart.
}

function copy(client: PoolClient, sql: string, body: readonly Buffer[]): Promise<void> {
  return pipeline(Readable.from(body, { objectMode: false }), client.query(copyFrom(sql)));
}
