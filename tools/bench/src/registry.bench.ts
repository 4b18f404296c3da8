/**
 * Schema registry: registrations per second, and ids resolved per second, uncached (every
 * lookup an HTTP request to our service) and cached (our client), beside wrk hammering the
 * same lookup endpoint.
 *
 *   npx tsx tools/bench/src/registry.bench.ts [--schemas 300] [--lookups 5000] [--seconds 5]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { SchemaRegistryClient } from '@platform/schema-registry';
import { rate, report, startApp, wrk, type Row } from './harness';

const { values } = parseArgs({
  options: {
    schemas: { type: 'string', default: '300' },
    lookups: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
  },
});
const schemas = Number(values.schemas);
const lookups = Number(values.lookups);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const schemaText = (i: number) =>
  JSON.stringify({
    type: 'record',
    name: `Bench${i}`,
    fields: [{ name: `f${i}`, type: 'string' }],
  });

async function main(): Promise<void> {
  const dbSchema = `bench_registry_${randomBytes(4).toString('hex')}`;
  const registry = await startApp('apps/schema-registry/src/main.ts', {
    SCHEMA_REGISTRY_DB_SCHEMA: dbSchema,
    ENVIRONMENT: 'test',
  });
  try {
    const post = async (i: number) => {
      const res = await fetch(`${registry.url}/subjects/bench-${i}-value/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: schemaText(i) }),
      });
      if (!res.ok) throw new Error(`register ${i}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: number }).id;
    };
    const ids: number[] = [];
    const registerRate = await rate(schemas, 8, async (i) => (ids[i] = await post(i)));
    const reRegisterRate = await rate(schemas, 8, post);

    const uncachedRate = await rate(lookups, concurrency, async (i) => {
      const res = await fetch(`${registry.url}/schemas/ids/${ids[i % ids.length]}`);
      if (!res.ok) throw new Error(`lookup: ${res.status}`);
      await res.arrayBuffer();
    });
    const wrkRate = wrk(`${registry.url}/schemas/ids/${ids[0]}`, concurrency, seconds);

    const client = new SchemaRegistryClient({ url: registry.url });
    for (const id of ids) await client.getById(id);
    const cachedCalls = 1_000_000;
    const cachedRate = await rate(cachedCalls, 1, (i) => client.getById(ids[i % ids.length]));

    const rows: Row[] = [
      { measure: 'register a new schema (8 in flight)', ours: registerRate, unit: 'schemas/s' },
      {
        measure: 'register an existing schema (same id back)',
        ours: reRegisterRate,
        unit: 'schemas/s',
      },
      {
        measure: `resolve an id over HTTP, uncached (${concurrency} in flight)`,
        ours: uncachedRate,
        native: wrkRate,
        unit: 'ids/s',
        note: 'native: wrk on the same endpoint, same connections',
      },
      {
        measure: 'resolve an id through SchemaRegistryClient, cached',
        ours: cachedRate,
        unit: 'ids/s',
      },
    ];
    report('registry', rows, { schemas, lookups, seconds, concurrency });
  } finally {
    await registry.stop();
    const pg = new Client({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
    });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`);
    await pg.end();
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
