import type { TlsSettings } from '@platform/config';
import { selfSignedCertificate, startTlsProxy, type TlsProxy } from '@platform/testing';
import { randomUUID } from 'node:crypto';
import { EVENTS_SCHEMA, localClickHouseSettings } from '../testing/fixtures';
import { ClickHouseSink } from './clickhouse.sink';

// The local ClickHouse serves plain HTTP: proxies in front of it require TLS and present a
// certificate made for the run, one of them also a client certificate, as a server with a
// private CA (and mutual TLS) would.
const DATABASE = `sink_tls_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);
const LOCAL = localClickHouseSettings(DATABASE);

describe('ClickHouseSink over TLS (https:// url, clickhouse.ssl)', () => {
  const client = selfSignedCertificate('platform-sink');
  let proxy: TlsProxy;
  let mutual: TlsProxy;
  const through = (server: TlsProxy, ssl: TlsSettings) =>
    new ClickHouseSink({
      settings: { ...LOCAL, url: `https://localhost:${server.port}`, ssl },
    });

  beforeAll(async () => {
    proxy = await startTlsProxy('127.0.0.1', 8123);
    mutual = await startTlsProxy('127.0.0.1', 8123, { clientCa: client.cert });
  });

  afterAll(async () => {
    const admin = new ClickHouseSink({ settings: LOCAL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.close();
    await proxy.close();
    await mutual.close();
  });

  it('creates, writes and reads through a server with a private CA, trusting that CA', async () => {
    const sink = through(proxy, { ca: proxy.ca });
    try {
      await sink.connect();
      await sink.createTable('events_tls', EVENTS_SCHEMA);
      await sink.writeRows(
        'events_tls',
        [{ event_id: 'e-1', ts: Date.UTC(2024, 0, 1), label: 'over TLS', n: 1 }],
        EVENT_COLUMNS,
      );
      const rows = await sink.query(`SELECT event_id, label FROM ${DATABASE}.events_tls FINAL`);
      expect(rows).toEqual([{ event_id: 'e-1', label: 'over TLS' }]);
    } finally {
      await sink.close();
    }
    expect(proxy.tlsSessions()).toBeGreaterThanOrEqual(1);
  });

  it('refuses a server certificate that the system trust store does not vouch for', async () => {
    const sink = through(proxy, true);
    await expect(sink.connect()).rejects.toThrow(/self[- ]signed certificate/);
    await sink.close();
  });

  it('takes any server certificate with reject_unauthorized: false', async () => {
    const sink = through(proxy, { reject_unauthorized: false });
    try {
      await sink.connect();
      expect((await sink.healthCheck()).ok).toBe(true);
    } finally {
      await sink.close();
    }
  });

  it('presents its client certificate to a server that requires one', async () => {
    const before = mutual.tlsSessions();
    const sink = through(mutual, { ca: mutual.ca, cert: client.cert, key: client.key });
    try {
      await sink.connect();
      expect((await sink.healthCheck()).ok).toBe(true);
    } finally {
      await sink.close();
    }
    expect(mutual.tlsSessions()).toBeGreaterThan(before);

    const without = through(mutual, { ca: mutual.ca });
    await expect(without.connect()).rejects.toThrow();
    await without.close();
  });
});
