import { inspect } from 'node:util';
import { createServer } from 'node:net';
import { AvroSerde } from '../serde';
import { FakeConfluentRegistry } from '../testing/fake-confluent-registry';
import {
  retryDelayMs,
  SchemaRegistryClient,
  type SchemaRegistryClientOptions,
} from './schema-registry.client';
import { SchemaRegistryError } from './schema-registry.error';

const ORDER_V1 = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'com.example',
  fields: [{ name: 'id', type: 'string' }],
});
const ORDER_V2 = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

async function rejection(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SchemaRegistryError) return err;
    throw err;
  }
  throw new Error('expected a SchemaRegistryError');
}

describe(SchemaRegistryClient.name, () => {
  const server = new FakeConfluentRegistry();
  let clock: number;
  const client = (options: Partial<SchemaRegistryClientOptions> = {}): SchemaRegistryClient =>
    new SchemaRegistryClient({
      url: server.url,
      retry: { initialDelayMs: 5, maxDelayMs: 20, jitter: false },
      now: () => clock,
      ...options,
    });

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    clock = 1_000_000;
  });

  describe('requests', () => {
    it('registers a schema with the registry media type and returns its id', async () => {
      const id = await client().register('orders-value', ORDER_V1);
      expect(id).toEqual(expect.any(Number));
      const [request] = server.requests;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/subjects/orders-value/versions');
      expect(request?.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
      expect(JSON.parse(request?.body ?? '')).toEqual({ schema: ORDER_V1 });
    });

    it('reads a version, the latest version and the version list of a subject', async () => {
      const v1 = server.seed('versions-value', ORDER_V1);
      const v2 = server.seed('versions-value', ORDER_V2);
      const sut = client();
      await expect(sut.getVersion('versions-value', 1)).resolves.toEqual({
        subject: 'versions-value',
        ...v1,
      });
      await expect(sut.getLatest('versions-value')).resolves.toEqual({
        subject: 'versions-value',
        ...v2,
      });
      await expect(sut.listVersions('versions-value')).resolves.toEqual([1, 2]);
      await expect(sut.listSubjects()).resolves.toContain('versions-value');
    });

    it('escapes subject names in paths', async () => {
      server.seed('a/b value', ORDER_V1);
      await expect(client().getLatest('a/b value')).resolves.toMatchObject({ version: 1 });
      expect(server.requests[0]?.url).toBe('/subjects/a%2Fb%20value/versions/latest');
    });

    it('looks a schema up under a subject and answers 40403 when it is not there', async () => {
      const v1 = server.seed('lookup-value', ORDER_V1);
      const sut = client();
      await expect(sut.lookup('lookup-value', ORDER_V1)).resolves.toEqual({
        subject: 'lookup-value',
        ...v1,
      });
      const err = await rejection(sut.lookup('lookup-value', ORDER_V2));
      expect(err).toMatchObject({ status: 404, errorCode: 40403, retriable: false });
    });

    it('checks compatibility verbosely against latest by default, a version, or all versions', async () => {
      const sut = client();
      await expect(sut.checkCompatibility('compat-value', ORDER_V1)).resolves.toEqual({
        compatible: true,
        messages: [],
      });
      await expect(
        sut.checkCompatibility('compat-value', '{"type":"string","doc":"INCOMPATIBLE"}', 3),
      ).resolves.toEqual({
        compatible: false,
        messages: ['reader field "x" has no default (BACKWARD)'],
      });
      await sut.checkCompatibility('compat-value', ORDER_V1, 'all');
      expect(server.requests.map((r) => r.url)).toEqual([
        '/compatibility/subjects/compat-value/versions/latest?verbose=true',
        '/compatibility/subjects/compat-value/versions/3?verbose=true',
        '/compatibility/subjects/compat-value/versions?verbose=true',
      ]);
    });

    it('gets and sets the global and subject compatibility levels', async () => {
      const sut = client();
      await expect(sut.setConfig('FULL')).resolves.toBe('FULL');
      await expect(sut.getConfig()).resolves.toBe('FULL');
      // A subject without its own level answers the global one.
      await expect(sut.getConfig('plain-value')).resolves.toBe('FULL');
      await expect(sut.setConfig('NONE', 'loose-value')).resolves.toBe('NONE');
      await expect(sut.getConfig('loose-value')).resolves.toBe('NONE');
      const err = await rejection(sut.getConfig('plain-value', { defaultToGlobal: false }));
      expect(err.errorCode).toBe(40408);
      expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ compatibility: 'FULL' });
      expect(server.requests[2]?.url).toBe('/config/plain-value?defaultToGlobal=true');
    });

    it('fails with invalid-response, not retried, when a 200 answer has the wrong shape', async () => {
      server.script('GET', '/schemas/ids/77', { body: { nope: true } });
      const err = await rejection(client().getById(77));
      expect(err).toMatchObject({ failure: 'invalid-response', retriable: false, attempts: 1 });
      expect(err.message).toContain('schema');
    });
  });

  describe('caching', () => {
    it('answers the same schema id from cache forever', async () => {
      const { id } = server.seed('cache-id-value', ORDER_V1);
      const sut = client();
      expect(await sut.getById(id)).toBe(ORDER_V1);
      clock += 365 * 24 * 3600 * 1000;
      expect(await sut.getById(id)).toBe(ORDER_V1);
      expect(server.count('GET', `/schemas/ids/${id}`)).toBe(1);
    });

    it('does not call the registry to register a schema it already registered, even reformatted', async () => {
      const sut = client();
      const id = await sut.register('cache-reg-value', ORDER_V1);
      const reformatted = JSON.stringify(JSON.parse(ORDER_V1), null, 2);
      expect(await sut.register('cache-reg-value', reformatted)).toBe(id);
      expect(server.count('POST', '/subjects/cache-reg-value/versions')).toBe(1);
      // Another subject is another registration.
      await sut.register('other-value', ORDER_V1);
      expect(server.count('POST', '/subjects/other-value/versions')).toBe(1);
    });

    it('caches the latest version for the TTL, then asks again', async () => {
      server.seed('ttl-value', ORDER_V1);
      const sut = client({ latestTtlMs: 30_000 });
      await sut.getLatest('ttl-value');
      clock += 29_999;
      await sut.getLatest('ttl-value');
      expect(server.count('GET', '/subjects/ttl-value/versions/latest')).toBe(1);
      clock += 2;
      await sut.getLatest('ttl-value');
      expect(server.count('GET', '/subjects/ttl-value/versions/latest')).toBe(2);
    });

    it('forgets the cached latest version when it registers a new one under the subject', async () => {
      server.seed('fresh-value', ORDER_V1);
      const sut = client();
      expect((await sut.getLatest('fresh-value')).version).toBe(1);
      await sut.register('fresh-value', ORDER_V2);
      expect((await sut.getLatest('fresh-value')).version).toBe(2);
    });

    it('fills the id cache from versions it reads, so a decode after a read costs nothing', async () => {
      const v1 = server.seed('fill-value', ORDER_V1);
      const sut = client();
      await sut.getVersion('fill-value', 1);
      expect(await sut.getById(v1.id)).toBe(ORDER_V1);
      expect(await sut.register('fill-value', ORDER_V1)).toBe(v1.id);
      expect(server.requests).toHaveLength(1);
    });

    it('shares one request between concurrent identical calls', async () => {
      const { id } = server.seed('concurrent-value', ORDER_V1);
      server.delayMs = 50;
      const sut = client();
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => sut.getById(id)),
        ...Array.from({ length: 5 }, () => sut.getLatest('concurrent-value')),
        ...Array.from({ length: 5 }, () => sut.register('concurrent-value', ORDER_V2)),
      ]);
      expect(new Set(results.slice(0, 5))).toEqual(new Set([ORDER_V1]));
      expect(server.count('GET', `/schemas/ids/${id}`)).toBe(1);
      expect(server.count('GET', '/subjects/concurrent-value/versions/latest')).toBe(1);
      expect(server.count('POST', '/subjects/concurrent-value/versions')).toBe(1);
    });

    it('does not cache a failed lookup', async () => {
      server.script('GET', '/schemas/ids/', {
        status: 404,
        body: { error_code: 40403, message: 'Schema not found' },
      });
      const { id } = server.seed('late-value', ORDER_V1);
      const sut = client();
      await expect(sut.getById(id)).rejects.toThrow('Schema not found');
      await expect(sut.getById(id)).resolves.toBe(ORDER_V1);
    });

    it('serves AvroSerde as its SchemaLookup', async () => {
      const sut = client();
      const id = await sut.register('serde-value', ORDER_V2);
      const serde = new AvroSerde(sut);
      const frame = serde.encode(id, ORDER_V2, { id: 'o-1', note: null });
      await expect(new AvroSerde(sut).decode(frame, ORDER_V1)).resolves.toEqual({ id: 'o-1' });
    });
  });

  describe('failures and retries', () => {
    it('retries a 500 and succeeds on the next answer', async () => {
      const { id } = server.seed('retry-value', ORDER_V1);
      server.script('GET', `/schemas/ids/${id}`, {
        status: 500,
        body: { error_code: 50001, message: 'Error in the backend data store' },
      });
      await expect(client().getById(id)).resolves.toBe(ORDER_V1);
      expect(server.count('GET', `/schemas/ids/${id}`)).toBe(2);
    });

    it('does not retry a 404 and reports status, error code and the server message', async () => {
      const err = await rejection(client().getLatest('missing-value'));
      expect(err).toMatchObject({
        status: 404,
        errorCode: 40401,
        retriable: false,
        attempts: 1,
        failure: 'http',
        serverMessage: "Subject 'missing-value' not found.",
      });
      expect(err.message).toContain("Subject 'missing-value' not found.");
      expect(server.requests).toHaveLength(1);
    });

    it('does not retry a 409 or a 422', async () => {
      server.script(
        'POST',
        '/subjects/bad-value/versions',
        { status: 422, body: { error_code: 42201, message: 'Invalid schema' } },
        {
          status: 409,
          body: { error_code: 409, message: 'Schema being registered is incompatible' },
        },
      );
      const sut = client();
      expect(await rejection(sut.register('bad-value', ORDER_V1))).toMatchObject({
        status: 422,
        errorCode: 42201,
        retriable: false,
      });
      expect(await rejection(sut.register('bad-value', ORDER_V1))).toMatchObject({
        status: 409,
        errorCode: 409,
        retriable: false,
      });
      expect(server.requests).toHaveLength(2);
    });

    it('gives up after the configured retries with the last error, marked retriable', async () => {
      const unavailable = { status: 503, body: { error_code: 50301, message: 'unavailable' } };
      server.script('GET', '/subjects', unavailable, unavailable, unavailable);
      const err = await rejection(
        client({ retry: { retries: 2, initialDelayMs: 1 } }).listSubjects(),
      );
      expect(err).toMatchObject({ status: 503, errorCode: 50301, retriable: true, attempts: 3 });
      expect(server.requests).toHaveLength(3);
    });

    it('honours Retry-After on a 429', async () => {
      server.script('GET', '/subjects', {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error_code: 42901, message: 'Too many requests' },
      });
      const started = Date.now();
      await expect(client({ retry: { initialDelayMs: 1 } }).listSubjects()).resolves.toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(server.requests).toHaveLength(2);
    });

    it('retries through four failures when allowed four retries', async () => {
      const failure = { status: 500, body: { error_code: 50001, message: 'store' } };
      server.script('GET', '/subjects', failure, failure, failure, failure);
      await expect(
        client({ retry: { retries: 4, initialDelayMs: 1, jitter: false } }).listSubjects(),
      ).resolves.toEqual([]);
      expect(server.requests).toHaveLength(5);
    });

    it('times a slow answer out and retries it', async () => {
      server.script('GET', '/subjects', { delayMs: 1_000, body: ['slow'] });
      await expect(client({ timeoutMs: 100 }).listSubjects()).resolves.toEqual([]);
      expect(server.requests).toHaveLength(2);
    });

    it('reports a timeout as a retriable failure once retries are spent', async () => {
      server.script('GET', '/subjects', { delayMs: 1_000, body: [] });
      const err = await rejection(client({ timeoutMs: 100, retry: { retries: 0 } }).listSubjects());
      expect(err).toMatchObject({ failure: 'timeout', retriable: true, status: undefined });
      expect(err.message).toContain('no answer within 100 ms');
    });

    it('reports a refused connection as a retriable network failure', async () => {
      const port = await freePort();
      const err = await rejection(
        new SchemaRegistryClient({
          url: `http://127.0.0.1:${port}`,
          retry: { retries: 1, initialDelayMs: 1 },
        }).listSubjects(),
      );
      expect(err).toMatchObject({ failure: 'network', retriable: true, attempts: 2 });
      expect(err.serverMessage).toContain('ECONNREFUSED');
    });
  });

  describe('basic auth', () => {
    it('sends credentials as basic auth and never shows them', async () => {
      server.script('GET', '/subjects', {
        status: 401,
        body: { error_code: 40101, message: 'Unauthorized' },
      });
      const sut = client({ username: 'svc', password: 's3cr3t-pw' });
      const err = await rejection(sut.listSubjects());
      const expected = `Basic ${Buffer.from('svc:s3cr3t-pw').toString('base64')}`;
      expect(server.requests[0]?.headers.authorization).toBe(expected);
      expect(err).toMatchObject({ status: 401, retriable: false });
      for (const text of [
        err.message,
        err.stack ?? '',
        inspect(err),
        inspect(sut),
        JSON.stringify(sut),
      ]) {
        expect(text).not.toContain('s3cr3t-pw');
        expect(text).not.toContain(expected.slice(6));
      }
    });

    it('takes credentials from the URL and strips them from it', async () => {
      const url = server.url.replace('http://', 'http://svc:p%40ss@');
      const sut = new SchemaRegistryClient({ url });
      await sut.listSubjects();
      expect(sut.baseUrl).toBe(server.url);
      expect(server.requests[0]?.headers.authorization).toBe(
        `Basic ${Buffer.from('svc:p@ss').toString('base64')}`,
      );
    });
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('retryDelayMs', () => {
  const retry = { initialDelayMs: 50, maxDelayMs: 60, jitter: false, maxRetryAfterMs: 5_000 };

  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, undefined, retry))).toEqual([50, 60, 60, 60]);
    const uncapped = { ...retry, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, undefined, uncapped))).toEqual([
      50, 100, 200, 400,
    ]);
  });

  it('spreads a jittered delay over [delay/2, delay]', () => {
    const jittered = { ...retry, maxDelayMs: 10_000, jitter: true };
    expect(retryDelayMs(3, undefined, jittered, () => 0)).toBe(100);
    expect(retryDelayMs(3, undefined, jittered, () => 0.5)).toBe(150);
    expect(retryDelayMs(3, undefined, jittered, () => 1)).toBe(200);
  });

  it("waits for the server's Retry-After instead, up to its cap", () => {
    expect(retryDelayMs(1, 1_000, retry)).toBe(1_000);
    expect(retryDelayMs(1, 60_000, retry)).toBe(5_000);
  });
});
