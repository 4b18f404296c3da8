import { runTs, startSchemaRegistry, withPg, type RegistryProcess } from '@platform/testing';
import { createHash, randomUUID } from 'node:crypto';
import {
  http,
  startGateway,
  testEnv,
  type RunningGateway,
  type TestEnv,
  removeTestEnv,
} from './testing/gateway-harness';

const CLI = 'apps/ingestion-gateway/src/cli.ts';

describe('gateway keys (CLI)', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let gateway: RunningGateway;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url);
    gateway = await startGateway(t);
  });

  afterAll(async () => {
    await gateway?.close();
    await registry?.stop();
    await removeTestEnv(t);
  });

  const cli = (...args: string[]) => runTs(CLI, args, t.env);
  const pageView = { user_id: 'u', device_type: 'mobile', country: 'US' };

  it('creates a key shown once and stored hashed, lists it, and revokes it', async () => {
    const created = await cli(
      'keys',
      'create',
      '--source',
      'ios',
      '--event-types',
      'page_view',
      '--json',
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string };
    expect(key.key).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/);
    expect(key.key.startsWith(key.prefix)).toBe(true);
    const stored = await withPg(
      async (pg) =>
        (await pg.query(`SELECT row_to_json(k)::text AS row FROM "${t.dbSchema}".write_keys k`))
          .rows as { row: string }[],
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.row).not.toContain(key.key);
    expect(stored[0]?.row).toContain(createHash('sha256').update(key.key).digest('hex'));

    const send = (type: string, body: unknown) =>
      http(`${gateway.url}/v1/events/${type}`, { key: key.key, body });
    expect((await send('page_view', { ...pageView, event_id: randomUUID() })).status).toBe(202);
    expect((await send('purchase', {})).status).toBe(403);

    const listed = await cli('keys', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key.key);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: key.id, source: 'ios', event_types: 'page_view' }),
    ]);

    const revoked = await cli('keys', 'revoke', key.id);
    expect(revoked.code).toBe(0);
    const refused = await send('page_view', { ...pageView, event_id: randomUUID() });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('revoked');
  });

  it('refuses unknown event types and unknown keys with exit code 1 and a reason', async () => {
    const unknownType = await cli('keys', 'create', '--source', 'web', '--event-types', 'refund');
    expect(unknownType.code).toBe(1);
    expect(unknownType.stderr).toContain('unknown event types: refund');
    const unknownKey = await cli('keys', 'revoke', 'gwk_nothing');
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain('no active write key');
  });
});
