import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli';
import { AvroSerde } from '../serde';
import { addRequiredDimension, editedEcommerceYaml } from '../testing/domain-yaml';
import { startSchemaRegistry, type RegistryProcess } from '@platform/testing';
import { SchemaRegistryClient } from './schema-registry.client';
import { SchemaRegistryError } from './schema-registry.error';

const record = (name: string, fields: readonly Record<string, unknown>[]): string =>
  JSON.stringify({ type: 'record', name, namespace: 'com.example', fields });
const V1 = record('Order', [{ name: 'id', type: 'string' }]);
const V2 = record('Order', [
  { name: 'id', type: 'string' },
  { name: 'note', type: ['null', 'string'], default: null },
]);
const REQUIRED_ADDED = record('Order', [
  { name: 'id', type: 'string' },
  { name: 'amount', type: 'double' },
]);

async function rejection(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SchemaRegistryError) return err;
    throw err;
  }
  throw new Error('expected a SchemaRegistryError');
}

// Our registry (apps/schema-registry) as a child process over its own PostgreSQL schema.
describe(`${SchemaRegistryClient.name} against apps/schema-registry`, () => {
  let registry: RegistryProcess;
  let client: SchemaRegistryClient;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    client = new SchemaRegistryClient({ url: registry.url, retry: { retries: 1 } });
  }, 90_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('registers, reads back by id, version and latest, and lists', async () => {
    const id1 = await client.register('orders-value', V1);
    const id2 = await client.register('orders-value', V2);
    expect(id2).not.toBe(id1);
    expect(JSON.parse(await client.getById(id1))).toEqual(JSON.parse(V1));
    await expect(client.getVersion('orders-value', 1)).resolves.toMatchObject({
      subject: 'orders-value',
      id: id1,
      version: 1,
    });
    await expect(client.getLatest('orders-value')).resolves.toMatchObject({ id: id2, version: 2 });
    await expect(client.lookup('orders-value', V1)).resolves.toMatchObject({ id: id1, version: 1 });
    await expect(client.listVersions('orders-value')).resolves.toEqual([1, 2]);
    await expect(client.listSubjects()).resolves.toContain('orders-value');
    // Same schema, new client (no cache), other formatting: same id.
    const fresh = new SchemaRegistryClient({ url: registry.url });
    await expect(
      fresh.register('orders-value', JSON.stringify(JSON.parse(V1), null, 2)),
    ).resolves.toBe(id1);
  });

  it('checks compatibility with the reasons, and refuses an incompatible registration with 409', async () => {
    await client.register('compat-value', V1);
    const result = await client.checkCompatibility('compat-value', REQUIRED_ADDED);
    expect(result.compatible).toBe(false);
    expect(result.messages.join('\n')).toContain('amount');
    await expect(client.checkCompatibility('compat-value', V2, 1)).resolves.toEqual({
      compatible: true,
      messages: [],
    });
    const err = await rejection(client.register('compat-value', REQUIRED_ADDED));
    expect(err).toMatchObject({ status: 409, errorCode: 409, retriable: false, attempts: 1 });
  });

  it('maps the registry errors: 40401, 40403, 42201', async () => {
    expect(await rejection(client.getLatest('nobody-value'))).toMatchObject({
      status: 404,
      errorCode: 40401,
      retriable: false,
    });
    expect(await rejection(client.getById(987_654))).toMatchObject({
      status: 404,
      errorCode: 40403,
    });
    expect(await rejection(client.register('broken-value', '{"type":"nope"}'))).toMatchObject({
      status: 422,
      errorCode: 42201,
      retriable: false,
    });
  });

  it('reads and sets the global and subject levels', async () => {
    await expect(client.getConfig()).resolves.toBe('BACKWARD');
    await expect(client.setConfig('FULL', 'levels-value')).resolves.toBe('FULL');
    await expect(client.getConfig('levels-value')).resolves.toBe('FULL');
    await expect(client.getConfig('unset-value')).resolves.toBe('BACKWARD');
    expect(
      await rejection(client.getConfig('unset-value', { defaultToGlobal: false })),
    ).toMatchObject({
      errorCode: 40408,
    });
  });

  it('lets AvroSerde decode what it encoded with a registered id', async () => {
    const id = await client.register('serde-value', V2);
    const frame = new AvroSerde(client).encode(id, V2, { id: 'o-1', note: 'gift' });
    const reader = new SchemaRegistryClient({ url: registry.url });
    await expect(new AvroSerde(reader).decode(frame)).resolves.toEqual({ id: 'o-1', note: 'gift' });
  });

  describe('contracts CLI against the registry', () => {
    let root: string;
    let out: string[];
    let err: string[];
    const run = (args: string[]) =>
      runCli(
        [
          ...args,
          '--domain',
          'ecommerce',
          '--env',
          'dev',
          '--config-dir',
          'config',
          '--registry',
          registry.url,
        ],
        { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd: root },
      );

    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'contracts-int-'));
      cpSync(join(__dirname, '../../../../config'), join(root, 'config'), { recursive: true });
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    beforeEach(() => {
      out = [];
      err = [];
    });

    it('reports new subjects, registers them, then flags a breaking domain change', async () => {
      expect(await run(['check'])).toBe(0);
      expect(out.filter((l) => l.startsWith('new '))).toHaveLength(7);

      out = [];
      expect(await run(['register'])).toBe(0);
      expect(out.at(-1)).toBe('7 subjects: 7 registered, 0 incompatible');

      out = [];
      expect(await run(['check'])).toBe(0);
      expect(out.at(-1)).toBe('7 subjects: 7 ok, 0 new, 0 incompatible');

      writeFileSync(
        join(root, 'config/domains/ecommerce.yaml'),
        editedEcommerceYaml(addRequiredDimension),
      );
      out = [];
      expect(await run(['check'])).toBe(1);
      expect(out.join('\n')).toMatch(/^INCOMPATIBLE +events\.purchase-value +\(BACKWARD\)$/m);
      expect(out.join('\n')).toContain('gift_wrap');

      out = [];
      expect(await run(['register'])).toBe(1);
      expect(out.join('\n')).toMatch(/^INCOMPATIBLE +events\.purchase-value$/m);
      expect(err).toEqual([]);
    });
  });
});
