/**
 * What PostgreSQL spends on the gateway's idempotency store: the CPU of the server processes
 * serving it (their backends, read from `/proc/<pid>/stat`) per claim statement and per ack
 * statement, by the number of ids each holds, through `IdempotencyStore` on the gateway's own
 * idempotency connections, in a schema migrated as the gateway migrates it. Beside them, a
 * `SELECT 1` and a one-row INSERT on the same connections: the fixed cost of any statement
 * and of a commit.
 *
 * The gateway gathers the claims (and the acks) of concurrent requests into one statement
 * each; this says how much of PostgreSQL a statement costs whatever it holds, and so what
 * that grouping saves. Commits do not wait for the WAL flush unless `--synchronous-commit`
 * (`GATEWAY_IDEMPOTENCY_SYNCHRONOUS_COMMIT`). Needs PostgreSQL on this machine (the backends'
 * `/proc` entries). It lives beside the store it measures, as the aggregator's step bench does.
 *
 *   npx tsx apps/ingestion-gateway/bench/idempotency.bench.ts [--statements 2000] [--sizes 1,10,50,200] [--synchronous-commit]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { load } from '@platform/config';
import { dropPgSchema, uniqueName } from '@platform/testing';
import { openDatabase, openIdempotencyConnections } from '../src/persistence/database';
import { IdempotencyStore, idempotencyKey } from '../src/events/idempotency-store';

const { values } = parseArgs({
  options: {
    statements: { type: 'string', default: '2000' },
    sizes: { type: 'string', default: '1,10,50,200' },
    'synchronous-commit': { type: 'boolean', default: false },
  },
});
const statements = Number(values.statements);
const sizes = values.sizes.split(',').map(Number);
const APPLICATION = 'idempotency-bench';

/** CPU time of processes so far, µs (clock ticks of 10 ms: read over many statements). */
function cpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    total += (Number(fields[11]) + Number(fields[12])) * 10_000;
  }
  return total;
}

async function main(): Promise<void> {
  const { postgres } = await load({ environment: 'test' });
  const schema = uniqueName('idem_bench');
  const migrated = await openDatabase(postgres, schema, APPLICATION);
  const db = openIdempotencyConnections(postgres, values['synchronous-commit'], APPLICATION);
  const rows: { measure: string; micros: number; note: string }[] = [];
  try {
    // Statements run one at a time, so the pool keeps to the connection this one opens.
    await db.query('SELECT 1');
    const backends = (
      (await db.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `${APPLICATION} idempotency`,
      ])) as { pid: number }[]
    ).map((r) => r.pid);
    const timed = async (measure: string, run: () => Promise<unknown>, note: string) => {
      const before = cpuMicros(backends);
      for (let i = 0; i < statements; i++) await run();
      rows.push({ measure, micros: (cpuMicros(backends) - before) / statements, note });
    };
    let n = 0;
    await timed('SELECT 1', () => db.query('SELECT 1'), 'no write, no commit');
    await timed(
      'INSERT of one row',
      () =>
        db.query(`INSERT INTO "${schema}".idempotency_keys VALUES ($1, $2, false, now())`, [
          `row_${n++}`,
          randomUUID(),
        ]),
      'a write and its commit',
    );
    const store = new IdempotencyStore(db, schema, { windowMs: 60_000, leaseMs: 30_000 });
    for (const size of sizes) {
      const batches = Array.from({ length: statements }, () =>
        Array.from({ length: size }, () => idempotencyKey('page_view', `event_${n++}`)),
      );
      const owner = randomUUID();
      let claimed = 0;
      let acked = 0;
      await timed(
        `claim of ${size} id(s)`,
        () => store.claim(batches[claimed++] ?? [], owner),
        `${size} new ids`,
      );
      await timed(
        `ack of ${size} id(s)`,
        () => store.ack(batches[acked++] ?? [], owner),
        'the ids just claimed',
      );
    }
  } finally {
    await db.end();
    await migrated.destroy();
    await dropPgSchema(schema);
  }
  const commits = values['synchronous-commit'] ? 'waiting for' : 'not waiting for';
  console.log(
    `PostgreSQL's CPU per statement, ${statements} statements each, commits ${commits} the WAL flush`,
  );
  for (const r of rows)
    console.log(
      `${r.measure.padEnd(20)} ${Math.round(r.micros).toLocaleString('en-US').padStart(7)} µs  ${r.note}`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
