import { loadGatewaySettings } from '../config/gateway-settings';
import { GatewayError } from '../http/gateway.error';
import { WriteKeyAuthService, type WriteKeyLookup } from './write-key-auth.service';
import type { WriteKeyRecord } from './write-keys';

const active: WriteKeyRecord = {
  id: 'k1',
  source: 'web',
  keyPrefix: 'wk_abc',
  eventTypes: null,
  createdAt: new Date(0),
  revokedAt: null,
};

/** A key store whose answers the test releases, counting the lookups it was asked for. */
function newTestService(ttlMs = 5_000) {
  const asked: string[] = [];
  const answers: ((record: WriteKeyRecord | undefined) => void)[] = [];
  let failing = false;
  const database: WriteKeyLookup = {
    writeKeys: {
      findByKey: (key) => {
        asked.push(key);
        if (failing) return Promise.reject(new Error('connection refused'));
        return new Promise((resolve) => answers.push(resolve));
      },
    },
  };
  const service = new WriteKeyAuthService(database, {
    ...loadGatewaySettings({}),
    keyCacheTtlMs: ttlMs,
  });
  const request = (key: string) => ({ headers: { 'x-write-key': key } });
  return {
    service,
    asked,
    request,
    answer: (record: WriteKeyRecord | undefined) => answers.splice(0).forEach((a) => a(record)),
    fail: () => (failing = true),
  };
}

describe('WriteKeyAuthService', () => {
  let t: ReturnType<typeof newTestService>;
  afterEach(() => t.service.onApplicationShutdown());

  it('asks the database once for concurrent requests with a key it has not cached', async () => {
    t = newTestService();
    const pending = Array.from({ length: 50 }, () => t.service.authenticate(t.request('wk_1')));
    await Promise.resolve();
    t.answer(active);
    await expect(Promise.all(pending)).resolves.toEqual(Array(50).fill(active));
    expect(t.asked).toEqual(['wk_1']);
    // Then from the cache, without a lookup, and at once: the record, not a promise of it.
    expect(t.service.authenticate(t.request('wk_1'))).toBe(active);
    expect(t.asked).toEqual(['wk_1']);
  });

  it('looks an expired key up again, so a revocation reaches this instance within the TTL', async () => {
    t = newTestService(0);
    const first = t.service.authenticate(t.request('wk_1'));
    await Promise.resolve();
    t.answer(active);
    await first;
    const second = t.service.authenticate(t.request('wk_1'));
    await Promise.resolve();
    t.answer({ ...active, revokedAt: new Date() });
    await expect(second).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(t.asked).toEqual(['wk_1', 'wk_1']);
  });

  it('answers 401 for an unknown or missing key, and 503 when the database is down', async () => {
    t = newTestService();
    const unknown = t.service.authenticate(t.request('wk_nope'));
    await Promise.resolve();
    t.answer(undefined);
    await expect(unknown).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(() => t.service.authenticate({ headers: {} })).toThrow(GatewayError);
    t.fail();
    await expect(t.service.authenticate(t.request('wk_2'))).rejects.toMatchObject({
      status: 503,
    });
    // A failed lookup is not shared with the next request: it asks again.
    await expect(t.service.authenticate(t.request('wk_2'))).rejects.toMatchObject({
      status: 503,
    });
    expect(t.asked.filter((k) => k === 'wk_2')).toHaveLength(2);
  });
});
