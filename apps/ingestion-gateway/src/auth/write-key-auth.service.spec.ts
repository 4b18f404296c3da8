import { loadGatewaySettings } from '../config/gateway-settings';
import { GatewayError } from '../http/gateway.error';
import { WriteKeyAuthService, type WriteKeyLookup } from './write-key-auth.service';
import type { WriteKeyRecord } from './write-keys';

/** A key of the shape the gateway issues: `gwk_` and 43 base64url characters. */
const keyOf = (n: number): string => `gwk_${String(n).padStart(43, 'A')}`;
const K1 = keyOf(1);
const K2 = keyOf(2);

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
    const pending = Array.from({ length: 50 }, () => t.service.authenticate(t.request(K1)));
    await Promise.resolve();
    t.answer(active);
    await expect(Promise.all(pending)).resolves.toEqual(Array(50).fill(active));
    expect(t.asked).toEqual([K1]);
    // Then from the cache, without a lookup, and at once: the record, not a promise of it.
    expect(t.service.authenticate(t.request(K1))).toBe(active);
    expect(t.asked).toEqual([K1]);
  });

  it('looks an expired key up again, so a revocation reaches this instance within the TTL', async () => {
    t = newTestService(0);
    const first = t.service.authenticate(t.request(K1));
    await Promise.resolve();
    t.answer(active);
    await first;
    const second = t.service.authenticate(t.request(K1));
    await Promise.resolve();
    t.answer({ ...active, revokedAt: new Date() });
    await expect(second).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(t.asked).toEqual([K1, K1]);
  });

  it('answers 401 for an unknown or missing key, and 503 when the database is down', async () => {
    t = newTestService();
    const unknown = t.service.authenticate(t.request(keyOf(404)));
    await Promise.resolve();
    t.answer(undefined);
    await expect(unknown).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(() => t.service.authenticate({ headers: {} })).toThrow(GatewayError);
    t.fail();
    await expect(t.service.authenticate(t.request(K2))).rejects.toMatchObject({
      status: 503,
    });
    // A failed lookup is not shared with the next request: it asks again.
    await expect(t.service.authenticate(t.request(K2))).rejects.toMatchObject({
      status: 503,
    });
    expect(t.asked.filter((k) => k === K2)).toHaveLength(2);
  });

  it('refuses a key of another shape without asking the database or caching it', () => {
    t = newTestService();
    for (const key of ['wk_1', `${K1}x`, 'gwk_short', `gwk_${'!'.repeat(43)}`])
      expect(() => t.service.authenticate(t.request(key))).toThrow(
        expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }) as Error,
      );
    expect(t.asked).toEqual([]);
  });

  it('keeps at most 10,000 lookups, dropping the oldest first', async () => {
    t = newTestService();
    const first = Array.from({ length: 10_001 }, (_, i) =>
      Promise.resolve(t.service.authenticate(t.request(keyOf(i)))).catch(() => undefined),
    );
    await Promise.resolve();
    t.answer(undefined);
    await Promise.all(first);
    // The first key was dropped to make room for the last: it is asked for again.
    const again = Promise.resolve(t.service.authenticate(t.request(keyOf(0)))).catch(
      () => undefined,
    );
    await Promise.resolve();
    t.answer(undefined);
    await again;
    expect(t.asked.filter((k) => k === keyOf(0))).toHaveLength(2);
    // The last one is still cached: answered at once.
    expect(() => t.service.authenticate(t.request(keyOf(10_000)))).toThrow(
      expect.objectContaining({ status: 401 }) as Error,
    );
    expect(t.asked.filter((k) => k === keyOf(10_000))).toHaveLength(1);
  });
});
