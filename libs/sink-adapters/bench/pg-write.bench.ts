/**
 * PostgreSQL write paths, 100k rows of 7 columns, each into a fresh table:
 *   - native:    `psql \copy ... (FORMAT csv)` of the same CSV (the baseline);
 *   - copy:      the adapter on new rows: one COPY straight into the table;
 *   - copy, 2 connections: the same rows in two halves, written at once over two connections;
 *   - replay:    the adapter on rows the table holds already (a replay after a crash): the
 *                COPY fails on the key, then COPY into a staging table and one
 *                INSERT ... SELECT ... ON CONFLICT (only this write is timed);
 *   - multi-row: `INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING`, 2,000 rows a statement
 *                (the measured alternative, kept here only, not in the adapter).
 * Run: npx tsx libs/sink-adapters/bench/pg-write.bench.ts [rows] [repetitions]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { PostgresSink } from '../src/lib/postgres/postgres.sink';
import {
  conflictClause,
  copyCsvLine,
  pgIdent,
  pgQualified,
} from '../src/lib/postgres/postgres-sql';
import { Row, SinkValue, TableSchema } from '../src/lib/sink.port';
import { coerceValue } from '../src/lib/value-coercion';

const ROWS = Number(process.argv[2] ?? 100_000);
const REPS = Number(process.argv[3] ?? 3);
const SCHEMA_NAME = `sink_bench_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const SETTINGS = {
  host: '127.0.0.1',
  port: 5432,
  database: 'postgres',
  username: 'postgres',
  password: '',
  schema: SCHEMA_NAME,
  ssl: false,
};

const TABLE: TableSchema = {
  columns: [
    { name: 'event_id', type: 'string' },
    { name: 'ts', type: 'timestamp' },
    { name: 'user_id', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'device_type', type: 'string' },
    { name: 'load_ms', type: 'int', nullable: true },
    { name: 'referrer', type: 'string', nullable: true },
  ],
  key: ['event_id'],
};
const COLUMNS = TABLE.columns.map((c) => c.name);

function makeRows(n: number): Row[] {
  const devices = ['ios', 'android', 'web'];
  return Array.from({ length: n }, (_, i) => ({
    event_id: `evt-${i.toString().padStart(8, '0')}-${randomUUID().slice(0, 8)}`,
    ts: 1_700_000_000_000 + i * 7,
    user_id: `user-${i % 5000}`,
    page: `/products/${i % 997}?ref="x",y`,
    device_type: devices[i % 3],
    load_ms: i % 10 === 0 ? null : 100 + (i % 900),
    referrer: i % 4 === 0 ? null : `https://example.com/${i % 123}`,
  }));
}

async function multiRowInsert(pool: Pool, table: string, rows: readonly Row[]): Promise<void> {
  const batch = 2_000;
  const client = await pool.connect();
  try {
    for (let offset = 0; offset < rows.length; offset += batch) {
      const slice = rows.slice(offset, offset + batch);
      const values: SinkValue[] = [];
      const tuples = slice.map((row, r) => {
        TABLE.columns.forEach((spec) => {
          const v = coerceValue(spec, row[spec.name]);
          values.push(spec.type === 'timestamp' && v !== null ? new Date(Number(v)) : v);
        });
        return `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO ${pgQualified(SCHEMA_NAME, table)} AS ${pgIdent('target')} (${COLUMNS.map(pgIdent).join(', ')}) ` +
          `VALUES ${tuples.join(', ')} ${conflictClause(TABLE, COLUMNS, 'target')}`,
        values,
      );
    }
  } finally {
    client.release();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const sink = new PostgresSink({ settings: SETTINGS });
  await sink.connect();
  const pool = new Pool({
    host: SETTINGS.host,
    port: SETTINGS.port,
    user: 'postgres',
    database: 'postgres',
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-bench-'));
  const csvFile = path.join(dir, 'rows.csv');
  const rows = makeRows(ROWS);
  await fs.writeFile(
    csvFile,
    rows
      .map((row) =>
        copyCsvLine(
          TABLE.columns.map((s) => coerceValue(s, row[s.name])),
          TABLE.columns,
        ),
      )
      .join(''),
  );
  const times: Record<string, number[]> = {
    native: [],
    copy: [],
    'copy, 2 connections': [],
    replay: [],
    'multi-row': [],
  };
  let tableNo = 0;
  const fresh = async (): Promise<string> => {
    const table = `events_${tableNo++}`;
    await sink.createTable(table, TABLE);
    return table;
  };
  const count = async (table: string): Promise<number> =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM ${pgQualified(SCHEMA_NAME, table)}`)).rows[0].n,
    );
  const time = async (
    name: string,
    run: (table: string) => Promise<void>,
    prepare?: (table: string) => Promise<void>,
  ): Promise<void> => {
    const table = await fresh();
    await prepare?.(table);
    const started = process.hrtime.bigint();
    await run(table);
    times[name].push(Number(process.hrtime.bigint() - started) / 1e9);
    const n = await count(table);
    if (n !== ROWS) throw new Error(`${name}: expected ${ROWS} rows, found ${n}`);
  };

  try {
    for (let rep = 0; rep < REPS; rep++) {
      await time('native', async (table) => {
        execFileSync('psql', [
          '-h',
          SETTINGS.host,
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          `\\copy ${SCHEMA_NAME}.${table} (${COLUMNS.join(', ')}) FROM '${csvFile}' WITH (FORMAT csv)`,
        ]);
      });
      await time('copy', async (table) => {
        await sink.writeRows(table, rows, COLUMNS);
      });
      await time('copy, 2 connections', async (table) => {
        const half = Math.ceil(rows.length / 2);
        await Promise.all([
          sink.writeRows(table, rows.slice(0, half), COLUMNS),
          sink.writeRows(table, rows.slice(half), COLUMNS),
        ]);
      });
      await time(
        'replay',
        async (table) => {
          await sink.writeRows(table, rows, COLUMNS);
        },
        async (table) => {
          await sink.writeRows(table, rows, COLUMNS);
        },
      );
      await time('multi-row', async (table) => {
        await multiRowInsert(pool, table, rows);
      });
    }
    const native = median(times.native);
    const lines = [
      `PostgreSQL write paths: ${ROWS.toLocaleString('en')} rows x 7 columns, median of ${REPS}, fresh table each run`,
      '',
      '| path | seconds | rows/s | vs native |',
      '|---|---|---|---|',
      ...Object.entries(times).map(([name, xs]) => {
        const s = median(xs);
        return `| ${name} | ${s.toFixed(2)} | ${Math.round(ROWS / s).toLocaleString('en')} | ${(native / s).toFixed(2)}x |`;
      }),
      '',
      JSON.stringify({ rows: ROWS, repetitions: REPS, seconds: times }),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${pgIdent(SCHEMA_NAME)} CASCADE`);
    await pool.end();
    await sink.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
