import type { TlsSettings } from '@platform/config';
import { startPgTlsProxy, type PgTlsProxy } from '@platform/testing';
import { randomUUID } from 'node:crypto';
import { EVENTS_SCHEMA, localPostgresSettings } from '../testing/fixtures';
import { PostgresSink } from './postgres.sink';

// The local PostgreSQL has TLS off: a proxy in front of it requires TLS and presents a
// certificate made for the run, as a managed server would.
const SCHEMA = `sink_tls_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const EVENT_COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);

describe('PostgresSink over TLS (postgres.ssl)', () => {
  let proxy: PgTlsProxy;
  const through = (ssl: TlsSettings) =>
    new PostgresSink({
      settings: { ...localPostgresSettings(SCHEMA), host: 'localhost', port: proxy.port, ssl },
    });

  beforeAll(async () => {
    proxy = await startPgTlsProxy('127.0.0.1', 5432);
  });

  afterAll(async () => {
    const admin = new PostgresSink({ settings: localPostgresSettings(SCHEMA) });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.close();
    await proxy.close();
  });

  it('creates, writes and reads through a server that requires TLS, trusting its CA', async () => {
    const sink = through({ ca: proxy.ca });
    try {
      await sink.connect();
      await sink.createTable('events_tls', EVENTS_SCHEMA);
      await sink.writeRows(
        'events_tls',
        [{ event_id: 'e-1', ts: Date.UTC(2024, 0, 1), label: 'over TLS', n: 1 }],
        EVENT_COLUMNS,
      );
      const rows = await sink.query(`SELECT event_id, label FROM "${SCHEMA}"."events_tls"`);
      expect(rows).toEqual([{ event_id: 'e-1', label: 'over TLS' }]);
    } finally {
      await sink.close();
    }
    // Both the TypeORM DataSource and the pg pool of the sink came in over TLS.
    expect(proxy.tlsSessions()).toBeGreaterThanOrEqual(2);
    expect(proxy.refused()).toBe(0);
  });

  it('refuses a server certificate that the system trust store does not vouch for', async () => {
    const sink = through(true);
    await expect(sink.connect()).rejects.toThrow(/self[- ]signed certificate/);
    await sink.close();
  });

  it('is cut off by a server that requires TLS when postgres.ssl is false', async () => {
    const before = proxy.refused();
    const sink = through(false);
    await expect(sink.connect()).rejects.toThrow();
    await sink.close();
    expect(proxy.refused()).toBeGreaterThan(before);
  });
});
