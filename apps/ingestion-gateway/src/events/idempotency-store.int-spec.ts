import { load, type PostgresSettings } from '@platform/config';
import { dropPgSchema, startPgTlsProxy, uniqueName } from '@platform/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import {
  openDatabase,
  openIdempotencyConnections,
  type IdempotencyConnections,
} from '../persistence/database';
import { idempotencyKey, IdempotencyStore } from './idempotency-store';

/** The shared idempotency window on the real PostgreSQL, migrated as the gateway does it. */
describe('IdempotencyStore (PostgreSQL)', () => {
  const schema = uniqueName('gw_idem');
  let settings: PostgresSettings;
  let migrated: DataSource;
  let db: IdempotencyConnections;
  const store = (windowMs = 60_000, leaseMs = 60_000): IdempotencyStore =>
    new IdempotencyStore(db, schema, { windowMs, leaseMs });
  const ids = (n: number): string[] =>
    Array.from({ length: n }, () => idempotencyKey('page_view', randomUUID()));
  const states = async (s: IdempotencyStore, list: string[], owner: string): Promise<string[]> => {
    const claimed = await s.claim(list, owner);
    return list.map((id) => claimed.get(id) ?? 'missing');
  };

  beforeAll(async () => {
    settings = (await load({ environment: 'test' })).postgres;
    migrated = await openDatabase(settings, schema, 'gateway-test');
    db = openIdempotencyConnections(settings, false, 'gateway-test');
  });

  afterAll(async () => {
    await db?.end();
    await migrated?.destroy();
    await dropPgSchema(schema);
  });

  it('commits on its own connections without waiting for the WAL flush, unless told to', async () => {
    const setting = async (connections: IdempotencyConnections): Promise<unknown> =>
      ((await connections.query('SHOW synchronous_commit')) as { synchronous_commit: string }[])[0]
        ?.synchronous_commit;
    expect(await setting(db)).toBe('off');
    const synchronous = openIdempotencyConnections(settings, true, 'gateway-test');
    try {
      expect(await setting(synchronous)).toBe('on');
    } finally {
      await synchronous.end();
    }
    expect(await migrated.query('SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'on' }]);
  });

  it('migrates a new schema and claims through a server that requires TLS (postgres.ssl)', async () => {
    const proxy = await startPgTlsProxy(settings.host, settings.port);
    const tlsSchema = uniqueName('gw_tls');
    const overTls = { ...settings, host: 'localhost', port: proxy.port, ssl: { ca: proxy.ca } };
    let database: DataSource | undefined;
    let connections: IdempotencyConnections | undefined;
    try {
      database = await openDatabase(overTls, tlsSchema, 'gateway-test');
      connections = openIdempotencyConnections(overTls, false, 'gateway-test');
      const owner = randomUUID();
      const claimed = await new IdempotencyStore(connections, tlsSchema, {
        windowMs: 60_000,
        leaseMs: 60_000,
      }).claim(ids(2), owner);
      expect([...claimed.values()]).toEqual(['claimed', 'claimed']);
      // The DataSource and the idempotency pool each came in over TLS; nothing in plain text.
      expect(proxy.tlsSessions()).toBeGreaterThanOrEqual(2);
      expect(proxy.refused()).toBe(0);
    } finally {
      await connections?.end();
      await database?.destroy();
      await proxy.close();
      await dropPgSchema(tlsSchema);
    }
  });

  it('claims new ids once: a second owner finds them pending, then acked after the ack', async () => {
    const s = store();
    const [a, b] = [randomUUID(), randomUUID()];
    const list = ids(3);
    expect(await states(s, list, a)).toEqual(['claimed', 'claimed', 'claimed']);
    expect(await states(s, list, b)).toEqual(['pending', 'pending', 'pending']);
    await s.ack(list.slice(0, 2), a);
    expect(await states(s, list, b)).toEqual(['acked', 'acked', 'pending']);
  });

  it('shares one claim statement among the requests of a turn, and says when its acks are written', async () => {
    const s = store();
    const owners = [randomUUID(), randomUUID(), randomUUID()];
    const lists = owners.map(() => ids(2));
    const statements: string[] = [];
    const counting = new IdempotencyStore(
      { query: (sql: string, params?: unknown[]) => (statements.push(sql), db.query(sql, params)) },
      schema,
      { windowMs: 60_000, leaseMs: 60_000 },
    );
    const claimed = await Promise.all(
      lists.map((list, i) => counting.claim(list, owners[i] as string)),
    );
    expect(statements).toHaveLength(1);
    expect(claimed.flatMap((m) => [...m.values()])).toEqual(Array(6).fill('claimed'));
    lists.forEach((list, i) => void counting.ack(list, owners[i] as string));
    await counting.acksWritten();
    expect(statements).toHaveLength(2);
    expect(await states(s, lists.flat(), randomUUID())).toEqual(Array(6).fill('acked'));
  });

  it('lets a retry claim what its owner released, and only the owner can ack or release', async () => {
    const s = store();
    const [a, b] = [randomUUID(), randomUUID()];
    const list = ids(2);
    await s.claim(list, a);
    await s.release(list, b); // not b's: nothing happens
    await s.ack(list, b);
    expect(await states(s, list, b)).toEqual(['pending', 'pending']);
    await s.release(list, a);
    expect(await states(s, list, b)).toEqual(['claimed', 'claimed']);
  });

  it('never releases an acked id', async () => {
    const s = store();
    const a = randomUUID();
    const list = ids(1);
    await s.claim(list, a);
    await s.ack(list, a);
    await s.release(list, a);
    expect(await states(s, list, randomUUID())).toEqual(['acked']);
  });

  it('hands over a claim whose lease ran out (its instance died), and an id whose window ended', async () => {
    const s = store(300, 300);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const [leased, acked] = [ids(1), ids(1)];
    await s.claim([...leased, ...acked], a);
    await s.ack(acked, a);
    expect(await states(s, [...leased, ...acked], b)).toEqual(['pending', 'acked']);
    await sleep(400);
    expect(await states(s, [...leased, ...acked], c)).toEqual(['claimed', 'claimed']);
  });

  it.each([
    ['instances (concurrent statements)', () => Array.from({ length: 8 }, () => store())],
    ['requests of one instance (one shared statement)', () => Array(8).fill(store())],
  ])('gives each id to exactly one of many concurrent claimers: %s', async (_, stores) => {
    const list = ids(50);
    // Overlapping, differently ordered sets: the claims must neither deadlock nor double-claim.
    const results = await Promise.all(
      (stores() as IdempotencyStore[]).map((s, i) =>
        s.claim(i % 2 === 0 ? list : [...list].reverse(), randomUUID()),
      ),
    );
    for (const id of list) {
      expect(results.filter((r) => r.get(id) === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.get(id) === 'pending')).toHaveLength(7);
    }
  });

  it('acks the ids of many requests of one instance in one go, each for its own owner', async () => {
    const s = store();
    const requests = Array.from({ length: 6 }, () => ({ list: ids(3), owner: randomUUID() }));
    await Promise.all(requests.map((r) => s.claim(r.list, r.owner)));
    // The odd ones ack with a wrong owner: only the even ones become acked.
    await Promise.all(requests.map((r, i) => s.ack(r.list, i % 2 === 0 ? r.owner : randomUUID())));
    const seen = await Promise.all(requests.map((r) => states(store(), r.list, randomUUID())));
    expect(seen.map((row) => row[0])).toEqual([
      'acked',
      'pending',
      'acked',
      'pending',
      'acked',
      'pending',
    ]);
  });

  it('sweeps the ids whose window ended and keeps the others', async () => {
    const short = store(100, 100);
    const long = store();
    const a = randomUUID();
    const [old, fresh] = [ids(3), ids(2)];
    await short.claim(old, a);
    await long.claim(fresh, a);
    await sleep(200);
    expect(await long.sweep()).toBeGreaterThanOrEqual(3);
    const left = (await db.query(
      `SELECT id FROM "${schema}".idempotency_keys WHERE id = ANY($1::text[])`,
      [[...old, ...fresh]],
    )) as { id: string }[];
    expect(left.map((r) => r.id).sort()).toEqual([...fresh].sort());
  });

  it('refuses an id that is not a key (a comma would split it), and claims nothing', async () => {
    const s = store();
    const [good] = ids(1) as [string];
    await expect(s.claim([good, 'a,b'], randomUUID())).rejects.toThrow('holds a comma');
    expect(await states(s, [good], randomUUID())).toEqual(['claimed']);
  });
});
