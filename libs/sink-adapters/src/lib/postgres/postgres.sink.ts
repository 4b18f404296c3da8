import type { PostgresSettings } from '@platform/config';
import { Pool, PoolClient, types as pgTypes } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource, Table } from 'typeorm';
import { BaseSink, BaseSinkOptions } from '../base.sink';
import { assertIdentifier } from '../identifiers';
import { SinkError, messageOf } from '../sink.error';
import { QueryParams, QueryRow, Row, SinkHealth, TableSchema, WriteOptions } from '../sink.port';
import { sqlStateOf, toPostgresSinkError } from './postgres-errors';
import { copyBinaryWriter } from './postgres-binary';
import { pgIdent, pgQualified, typeormColumns, upsertFromStagingSql } from './postgres-sql';

export interface PostgresSinkOptions extends BaseSinkOptions {
  readonly settings: PostgresSettings;
  /** Connections of the write/query pool. Default 4. */
  readonly poolSize?: number;
  /** COPYs a large write is split into, run at once on their own connections. Default 2. */
  readonly copyConnections?: number;
}

const INT8_OID = 20;
const DATE_OID = 1082;
const UNIQUE_VIOLATION = '23505';
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
export class PostgresSink extends BaseSink {
  readonly name = 'postgres';
  protected override readonly coercesSourceRows = true;
  private pool?: Pool;
  private dataSource?: DataSource;
  private readonly pgSchema: string;
  private readonly copyConnections: number;
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

  /** The PostgreSQL schema that holds this sink's tables. */
  get schemaName(): string {
    return this.pgSchema;
  }

  async connect(): Promise<void> {
    if (this.pool) return;
    const { host, port, database, username, password } = this.options.settings;
    const dataSource = new DataSource({
      type: 'postgres',
      host,
      port,
      database,
      username,
      password,
      schema: this.pgSchema,
      poolSize: 1,
      synchronize: false,
      logging: false,
    });
    const pool = new Pool({
      host,
      port,
      database,
      user: username,
      password,
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
      await pool.query('SELECT 1');
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

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    _options: WriteOptions,
  ): Promise<void> {
    const pool = this.requirePool();
    const encode = this.encoderFor(table, schema, columns);
    // Coerce and encode first: a bad value fails before anything is sent.
    const parts = split(rows, this.copyConnections, MIN_ROWS_PER_COPY);
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
    // Each part is its own COPY on its own connection: the server parses and indexes them on
    // two cores. Every part settles before this returns or throws, so a retry never races a
    // COPY still running; a part that committed before another failed is a replay next time.
    const settled = await Promise.allSettled(
      bodies.map((body, i) =>
        this.copyPart(pool, table, schema, columns, cols, body, (parts[i] as Row[]).length),
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
    if (cached?.schema === schema) return cached.encode;
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

/** `rows` in up to `ways` contiguous parts of at least `min` rows each (one part if fewer). */
function split(rows: readonly Row[], ways: number, min: number): (readonly Row[])[] {
  const n = Math.max(1, Math.min(ways, Math.floor(rows.length / min)));
  if (n === 1) return [rows];
  const size = Math.ceil(rows.length / n);
  const parts: (readonly Row[])[] = [];
  for (let i = 0; i < rows.length; i += size) parts.push(rows.slice(i, i + size));
  return parts;
}

function ignore(): void {
  // See copyPart.
}

function copy(client: PoolClient, sql: string, body: readonly Buffer[]): Promise<void> {
  return pipeline(Readable.from(body, { objectMode: false }), client.query(copyFrom(sql)));
}
