/**
 * What PostgreSQL spends on the gateway's idempotency store: the CPU of the server process
 * (its backend, read from `/proc/<pid>/stat`) per claim statement and per ack statement, by
 * the number of ids each holds, through `IdempotencyStore` itself on one connection. Beside
 * them, a `SELECT 1` and a one-row INSERT, the fixed cost of any statement and of a commit.
 *
 * The gateway gathers the claims (and the acks) of concurrent requests into one statement
 * each; this says how much of PostgreSQL a statement costs whatever it holds, and so what
 * that grouping saves. Needs PostgreSQL on this machine (the backend's `/proc` entry). It
 * lives beside the store it measures, as the aggregator's step bench does.
 *
 *   npx tsx apps/ingestion-gateway/bench/idempotency.bench.ts [--statements 2000] [--sizes 1,10,50,200]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { LOCAL_PG, uniqueName } from '@platform/testing';
import { IdempotencyStore, idempotencyKey } from '../src/events/idempotency-store';

const { values } = parseArgs({
  options: {
    statements: { type: 'string', default: '2000' },
    sizes: { type: 'string', default: '1,10,50,200' },
  },
});
const statements = Number(values.statements);
const sizes = values.sizes.split(',').map(Number);

/** CPU time of a process so far, µs (clock ticks of 10 ms: read over many statements). */
function cpuMicros(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function main(): Promise<void> {
  const pool = new Pool({ ...LOCAL_PG, max: 1 });
  const schema = uniqueName('idem_bench');
  const rows: { measure: string; micros: number; note: string }[] = [];
  try {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    // The table as the gateway's migration creates it.
    await pool.query(`CREATE TABLE "${schema}".idempotency_keys (
      id text PRIMARY KEY, owner uuid NOT NULL, acked boolean NOT NULL, until timestamptz NOT NULL
    ) WITH (fillfactor = 70)`);
    const backend = (
      (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }
    ).pid;
    const timed = async (label: string, count: number, run: () => Promise<void>, note: string) => {
      const before = cpuMicros(backend);
      for (let i = 0; i < count; i++) await run();
      rows.push({
        measure: label,
        micros: (cpuMicros(backend) - before) / count,
        note,
      });
    };
    let n = 0;
    await timed(
      'SELECT 1',
      statements,
      async () => void (await pool.query('SELECT 1')),
      'no write, no commit to flush',
    );
    await timed(
      'INSERT of one row',
      statements,
      async () =>
        void (await pool.query(
          `INSERT INTO "${schema}".idempotency_keys VALUES ($1, $2, false, now())`,
          [`row_${n++}`, randomUUID()],
        )),
      'a write and its commit (WAL flush)',
    );
    const store = new IdempotencyStore(
      { query: async (sql, params) => (await pool.query(sql, params)).rows },
      schema,
      {
        windowMs: 60_000,
        leaseMs: 30_000,
      },
    );
    for (const size of sizes) {
      const batches = Array.from({ length: statements }, () =>
        Array.from({ length: size }, () => idempotencyKey('page_view', `event_${n++}`)),
      );
      const owner = randomUUID();
      let i = 0;
      await timed(
        `claim of ${size} id(s)`,
        statements,
        async () => void (await store.claim(batches[i++] ?? [], owner)),
        `PostgreSQL's CPU per statement; ${size} new ids`,
      );
      i = 0;
      await timed(
        `ack of ${size} id(s)`,
        statements,
        async () => await store.ack(batches[i++] ?? [], owner),
        `PostgreSQL's CPU per statement; the ids just claimed`,
      );
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
  console.log(`PostgreSQL's CPU per statement, ${statements} statements each`);
  for (const r of rows)
    console.log(
      `${r.measure.padEnd(20)} ${Math.round(r.micros).toLocaleString('en-US').padStart(7)} µs  ${r.note}`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
