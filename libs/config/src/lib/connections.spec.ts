import { isConfigError } from './config.error';
import { Agent as HttpsAgent } from 'node:https';
import { clickhouseAgent, pgConnection, tlsOptions, typeormPostgres } from './connections';
import type { ClickHouseSettings, PostgresSettings } from './platform-config.schema';

const PEM_CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';

describe(tlsOptions.name, () => {
  it('passes booleans through', () => {
    expect(tlsOptions(true, 'kafka.ssl')).toBe(true);
    expect(tlsOptions(false, 'kafka.ssl')).toBe(false);
  });

  it('maps PEM contents and reject_unauthorized to tls options', () => {
    expect(
      tlsOptions(
        { ca: PEM_CA, cert: PEM_CERT, key: PEM_KEY, reject_unauthorized: false },
        'kafka.ssl',
      ),
    ).toEqual({ ca: [PEM_CA], cert: PEM_CERT, key: PEM_KEY, rejectUnauthorized: false });
  });

  it('turns an empty ssl object into TLS with the system trust store', () => {
    expect(tlsOptions({}, 'postgres.ssl')).toEqual({});
  });

  it('refuses a file path where PEM contents are expected, naming the key', () => {
    let error: unknown;
    try {
      tlsOptions({ ca: '/etc/ssl/ca.pem' }, 'postgres.ssl');
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error) && error.code).toBe('CONFIG_INVALID');
    expect(String(error)).toMatch(/postgres\.ssl\.ca: must hold PEM contents/);
    expect(isConfigError(error) && error.issues[0]?.path).toEqual(['postgres', 'ssl', 'ca']);
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(() => tlsOptions({ cert: PEM_CERT }, 'kafka.ssl')).toThrow(
      /kafka\.ssl\.key: required with kafka\.ssl\.cert/,
    );
    expect(() => tlsOptions({ key: PEM_KEY }, 'kafka.ssl')).toThrow(
      /kafka\.ssl\.cert: required with kafka\.ssl\.key/,
    );
  });
});

const settings: PostgresSettings = {
  host: 'db.internal',
  port: 6432,
  database: 'events',
  username: 'loader',
  password: 'pw',
  schema: 'platform',
  ssl: { ca: PEM_CA },
};

describe(pgConnection.name, () => {
  it("maps the postgres section to a pg client's connection, TLS included", () => {
    expect(pgConnection(settings)).toEqual({
      host: 'db.internal',
      port: 6432,
      database: 'events',
      user: 'loader',
      password: 'pw',
      ssl: { ca: [PEM_CA] },
    });
  });

  it('refuses a bad postgres.ssl before any connection is tried', () => {
    expect(() => pgConnection({ ...settings, ssl: { cert: PEM_CERT } })).toThrow(
      /postgres\.ssl\.key: required with postgres\.ssl\.cert/,
    );
  });
});

describe(typeormPostgres.name, () => {
  it('maps the same connection to TypeORM names', () => {
    expect(typeormPostgres({ ...settings, ssl: false })).toEqual({
      type: 'postgres',
      host: 'db.internal',
      port: 6432,
      database: 'events',
      username: 'loader',
      password: 'pw',
      ssl: false,
    });
  });
});

describe(clickhouseAgent.name, () => {
  const clickhouse: ClickHouseSettings = {
    url: 'https://ch.internal:8443',
    database: 'platform',
    username: 'default',
    password: 'pw',
    ssl: false,
  };

  it("leaves false and true to the client's own agent (the url chooses TLS)", () => {
    expect(clickhouseAgent(clickhouse)).toBeUndefined();
    expect(clickhouseAgent({ ...clickhouse, ssl: true })).toBeUndefined();
    expect(clickhouseAgent({ ...clickhouse, url: 'http://ch:8123' })).toBeUndefined();
  });

  it('makes a keep-alive HTTPS agent with the CA, client certificate and verification given', () => {
    const agent = clickhouseAgent({
      ...clickhouse,
      ssl: { ca: PEM_CA, cert: PEM_CERT, key: PEM_KEY, reject_unauthorized: false },
    });
    expect(agent).toBeInstanceOf(HttpsAgent);
    expect(agent?.options).toMatchObject({
      keepAlive: true,
      ca: [PEM_CA],
      cert: PEM_CERT,
      key: PEM_KEY,
      rejectUnauthorized: false,
    });
    agent?.destroy();
  });

  it('refuses TLS settings beside an http:// url, and a bad clickhouse.ssl', () => {
    expect(() => clickhouseAgent({ ...clickhouse, url: 'http://ch:8123', ssl: true })).toThrow(
      /clickhouse\.ssl: needs an https:\/\/ clickhouse\.url/,
    );
    expect(() => clickhouseAgent({ ...clickhouse, ssl: { key: PEM_KEY } })).toThrow(
      /clickhouse\.ssl\.cert: required with clickhouse\.ssl\.key/,
    );
  });
});
