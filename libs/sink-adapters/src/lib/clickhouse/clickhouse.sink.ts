import {
  ClickHouseClient,
  ClickHouseClientConfigOptions,
  ClickHouseLogLevel,
  ClickHouseSettings as ClientSettings,
  createClient,
} from '@clickhouse/client';
import { clickhouseAgent, type ClickHouseSettings } from '@platform/config';
import { Readable } from 'node:stream';
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
  SinkValue,
  SourceRow,
  TableSchema,
  WriteOptions,
} from '../sink.port';
import { createDatabaseSql, createTableSql, retentionDeleteSql } from './clickhouse-ddl';
import { toClickHouseSinkError } from './clickhouse-errors';
import { ClickHouseFeatures, clickHouseFeatures } from './clickhouse-features';
import { bindParams, quoteIdentifier } from './clickhouse-literal';
import { tabSeparatedAvroWriter, tabSeparatedWriter } from './clickhouse-tsv';
import type { AvroRangeWriter, AvroRowsWriter } from '../encoding/avro-rows-writer';
import { ByteWriter } from '../encoding/byte-writer';
import { clickHouseDialect, type SqlDialect } from '../query/query-sql';
import { clickHouseDeleteStatement } from '../writes/row-deleter';

type TabSeparatedEncoder = ReturnType<typeof tabSeparatedWriter>;

/** A prebuilt backend connection for `createClient({ connection })`, such as chDB's. */
export type ClickHouseConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

export interface ClickHouseSinkOptions extends BaseSinkOptions {
  readonly settings: ClickHouseSettings;
  /** Use this connection instead of HTTP to `settings.url` (chDB in tests). */
  readonly connection?: ClickHouseConnection;
  /** Rows per INSERT; larger batches are split. Default 50,000. */
  readonly batchSize?: number;
  /** Per-request timeout. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

const READS = /^\s*(select|with|show|describe|desc|exists|explain)\b/i;

/**
 * ClickHouse through `@clickhouse/client`. Tables are ReplacingMergeTree ordered by the key,
 * so a replayed row collapses into the stored one (read with FINAL). Optional server
 * features are used only where `SELECT version()` says they exist.
 */
export class ClickHouseSink extends SqlSink {
  readonly name = 'clickhouse';
  protected override readonly coercesSourceRows = true;
  private client?: ClickHouseClient;
  private detected?: ClickHouseFeatures;
  private readonly database: string;
  private readonly batchSize: number;
  private readonly encoders = new Map<
    string,
    { schema: TableSchema; features: ClickHouseFeatures; encode: TabSeparatedEncoder }
  >();

  constructor(private readonly options: ClickHouseSinkOptions) {
    super(options);
    this.database = assertIdentifier(options.settings.database, 'ClickHouse database');
    this.batchSize = options.batchSize ?? 50_000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new SinkError('INVALID_ARGUMENT', 'clickhouse: batchSize must be a positive integer');
    }
  }

  /** What the connected server supports; throws NOT_CONNECTED before `connect()`. */
  get features(): ClickHouseFeatures {
    if (!this.detected) throw this.notConnected();
    return this.detected;
  }

  async connect(): Promise<void> {
    if (this.client) return;
    // The database may not exist yet, so the first client names none.
    const bootstrap = this.makeClient(undefined);
    try {
      const version = await this.readVersion(bootstrap);
      this.detected = clickHouseFeatures(version);
      // Avro writers compiled for another server's features must not be reused.
      this.forgetAvroWriters();
      await bootstrap.command({
        query: createDatabaseSql(this.database, this.options.settings.cluster),
      });
    } catch (error) {
      await bootstrap.close().catch(() => undefined);
      throw toClickHouseSinkError(error, 'connect');
    }
    if (this.options.connection) {
      // An injected connection is used as is; DDL and inserts name the database explicitly.
      this.client = bootstrap;
    } else {
      await bootstrap.close();
      this.client = this.makeClient(this.database);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.close();
  }

  async healthCheck(): Promise<SinkHealth> {
    const started = Date.now();
    if (!this.client) return { ok: false, latencyMs: 0, error: 'not connected' };
    try {
      const version = await this.readVersion(this.client);
      return { ok: true, latencyMs: Date.now() - started, version };
    } catch (error) {
      return { ok: false, latencyMs: Date.now() - started, error: messageOf(error) };
    }
  }

  /** `database`.`table`: every statement this sink builds names its database. */
  qualified(table: string): string {
    return `${quoteIdentifier(this.database)}.${quoteIdentifier(table)}`;
  }

  protected async createTableIn(table: string, schema: TableSchema): Promise<void> {
    const client = this.requireClient();
    const sql = createTableSql(
      this.database,
      table,
      schema,
      this.features,
      this.options.settings.cluster,
    );
    try {
      await client.command({ query: sql });
    } catch (error) {
      throw toClickHouseSinkError(error, `create table ${table}`);
    }
    if (!this.features.ttl) await this.applyRetention(table, schema);
  }

  /**
   * Retention where the server has no TTL (before 19.6): deletes the rows of a time series
   * older than its retention (a mutation). Runs when the table is declared; a server with TTL
   * expires rows itself.
   */
  async applyRetention(table: string, schema: TableSchema, nowMs = Date.now()): Promise<void> {
    const sql = retentionDeleteSql(this.database, table, schema, nowMs);
    if (sql === undefined || this.features.ttl) return;
    try {
      await this.requireClient().command({ query: sql });
    } catch (error) {
      throw toClickHouseSinkError(error, `retention of ${table}`);
    }
  }

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    options: WriteOptions,
  ): Promise<void> {
    const encode = this.encoderFor(table, schema, columns, this.features);
    await this.insertParts(table, columns, rows.length, options, (from, to) =>
      encode(rows, from, to),
    );
  }

  protected override avroRowsWriter(
    schema: TableSchema,
    writerSchema: unknown,
  ): AvroRowsWriter | undefined {
    return tabSeparatedAvroWriter(schema.columns, this.features, writerSchema);
  }

  protected override async writeAvroRowsTo(
    table: string,
    schema: TableSchema,
    rows: AvroRows,
    write: AvroRangeWriter,
    options: WriteOptions,
  ): Promise<void> {
    const columns = schema.columns.map((c) => c.name);
    await this.insertParts(table, columns, rows.values.length, options, (from, to) => {
      const w = new ByteWriter();
      write(from, to, w);
      return w.finish();
    });
  }

  /**
   * Inserts rows `0` to `count` in parts of `batchSize`, each encoded first (a bad value
   * fails before anything is sent) and streamed as TabSeparated.
   */
  private async insertParts(
    table: string,
    columns: readonly string[],
    count: number,
    options: WriteOptions,
    encode: (from: number, to: number) => Buffer[],
  ): Promise<void> {
    const client = this.requireClient();
    const features = this.features;
    const quotedColumns = columns.map(quoteIdentifier);
    for (let offset = 0, part = 0; offset < count; offset += this.batchSize, part++) {
      const body = encode(offset, Math.min(count, offset + this.batchSize));
      const settings: ClientSettings = {};
      // We batch ourselves; a synchronous insert is also what the dedup token is defined for.
      if (features.asyncInsert) settings.async_insert = 0;
      if (features.insertDeduplicationToken) {
        // Always set, empty without a batch: chDB applies settings as a session-wide SET, so
        // a token left over from an earlier insert would drop this one as a duplicate.
        settings.insert_deduplication_token =
          options.batchId === undefined
            ? ''
            : `${this.database}.${table}:${options.batchId}:${part}`;
      }
      try {
        await client.insert({
          table: this.qualified(table),
          columns: quotedColumns as [string, ...string[]],
          values: Readable.from(body, { objectMode: false }),
          format: 'TabSeparated',
          clickhouse_settings: settings,
        });
      } catch (error) {
        throw toClickHouseSinkError(error, `insert into ${table}`);
      }
    }
  }

  /** The TabSeparated encoder of these columns, compiled once per table and column list. */
  private encoderFor(
    table: string,
    schema: TableSchema,
    columns: readonly string[],
    features: ClickHouseFeatures,
  ): TabSeparatedEncoder {
    const key = `${table}\u0000${columns.join(',')}`;
    const cached = this.encoders.get(key);
    if (cached?.schema === schema && cached.features === features) return cached.encode;
    const specs = columns.map((name) => {
      const spec = schema.columns.find((c) => c.name === name);
      if (!spec)
        throw new SinkError('INVALID_ARGUMENT', `clickhouse: ${table} has no column ${name}`);
      return spec;
    });
    const encode = tabSeparatedWriter(specs, features);
    this.encoders.set(key, { schema, features, encode });
    return encode;
  }

  /** A mutation that ClickHouse applies to the parts existing when it is issued. */
  protected async deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void> {
    const s = clickHouseDeleteStatement(
      this.database,
      table,
      schema,
      rows,
      this.features.dateTime64,
    );
    await this.query(s.sql, s.params);
  }

  protected dialect(): SqlDialect {
    return clickHouseDialect({ database: this.database, dateTime64: this.features.dateTime64 });
  }

  /**
   * Runs `sql` (the driver's own door for DDL, deletes and tests; not part of the port).
   * Values go in `{name:Type}` placeholders: bound by the server where it has
   * query parameters, rendered as typed, escaped literals where it has not.
   */
  async query(sql: string, params?: QueryParams): Promise<QueryRow[]> {
    const client = this.requireClient();
    if (Array.isArray(params)) {
      throw new SinkError(
        'INVALID_ARGUMENT',
        'clickhouse: parameters are named ({name:Type} placeholders), not positional',
      );
    }
    const named = (params ?? {}) as Readonly<Record<string, SinkValue>>;
    const serverSide = this.features.queryParams;
    const text = serverSide ? sql : bindParams(sql, named);
    try {
      if (!READS.test(text)) {
        await client.command({
          query: text,
          ...(serverSide && params ? { query_params: { ...named } } : {}),
        });
        return [];
      }
      const result = await client.query({
        query: text,
        format: 'JSONEachRow',
        ...(serverSide && params ? { query_params: { ...named } } : {}),
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      return await result.json<QueryRow>();
    } catch (error) {
      throw toClickHouseSinkError(error, 'query');
    }
  }

  private makeClient(database: string | undefined): ClickHouseClient {
    const { settings, connection, requestTimeoutMs } = this.options;
    // Failures reach the caller as SinkErrors; the client's own console logging stays off.
    const log = { level: ClickHouseLogLevel.OFF };
    if (connection) return createClient({ connection, log });
    const agent = clickhouseAgent(settings);
    return createClient({
      log,
      ...(agent ? { http_agent: agent } : {}),
      url: settings.url,
      username: settings.username,
      password: settings.password,
      ...(database ? { database } : {}),
      request_timeout: requestTimeoutMs ?? 30_000,
    });
  }

  private async readVersion(client: ClickHouseClient): Promise<string> {
    const result = await client.query({
      query: 'SELECT version() AS version',
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ version: string }>();
    return rows[0]?.version ?? 'unknown';
  }

  private requireClient(): ClickHouseClient {
    if (!this.client) throw this.notConnected();
    return this.client;
  }

  private notConnected(): SinkError {
    return new SinkError('NOT_CONNECTED', 'clickhouse: call connect() first', {
      sink: this.name,
      retriable: false,
    });
  }
}
