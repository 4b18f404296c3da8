import { Agent as HttpsAgent } from 'node:https';
import { clickhouseUrlIssues, invalidConfig, tlsIssues } from './validate';
import type { ClickHouseSettings, PostgresSettings, TlsSettings } from './platform-config.schema';

/** What `tls.connect` takes from a `ssl` section (a subset of node's `ConnectionOptions`). */
export interface TlsConnectOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

/**
 * A `ssl` section as `tls.connect` options: `true` and `{}` are TLS with the system's trust
 * store and the server's name checked. A section the loader would refuse ({@link tlsIssues})
 * throws the same `CONFIG_INVALID`.
 */
export function tlsOptions(ssl: TlsSettings, section: string): boolean | TlsConnectOptions {
  if (typeof ssl === 'boolean') return ssl;
  const issues = tlsIssues(ssl, section.split('.'));
  if (issues.length > 0) throw invalidConfig(issues);
  const options: TlsConnectOptions = {};
  if (ssl.ca) options.ca = [ssl.ca];
  if (ssl.cert) options.cert = ssl.cert;
  if (ssl.key) options.key = ssl.key;
  if (ssl.reject_unauthorized !== undefined) options.rejectUnauthorized = ssl.reject_unauthorized;
  return options;
}

/** A `pg` client's or pool's connection (`ClientConfig` fields). */
export interface PgConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean | TlsConnectOptions;
}

/**
 * Where and as whom a `pg` client or pool connects, from the `postgres` section: the one
 * mapping every service uses, so each honours the same keys (`ssl` included). Timeouts and
 * pool sizes are each caller's own.
 */
export function pgConnection(settings: PostgresSettings): PgConnection {
  return {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.username,
    password: settings.password,
    ssl: tlsOptions(settings.ssl, 'postgres.ssl'),
  };
}

/** The same connection as TypeORM's `postgres` DataSource options. */
export function typeormPostgres(
  settings: PostgresSettings,
): Omit<PgConnection, 'user'> & { type: 'postgres'; username: string } {
  const { user, ...connection } = pgConnection(settings);
  return { type: 'postgres', ...connection, username: user };
}

/** Sockets kept per ClickHouse server, as the client's own agent does (`max_open_connections`). */
const CLICKHOUSE_MAX_SOCKETS = 10;

/**
 * The agent for `@clickhouse/client`'s `http_agent` when `clickhouse.ssl` is a map (a private
 * CA, a client certificate, `reject_unauthorized`); undefined for `false` and `true`, where the
 * client's own agent serves the url (plain HTTP, or HTTPS with the system's trust store). The
 * client's `tls` option is not used: it replaces basic auth with ClickHouse's certificate login
 * headers, and takes no `reject_unauthorized`.
 */
export function clickhouseAgent(settings: ClickHouseSettings): HttpsAgent | undefined {
  const issues = clickhouseUrlIssues(settings.ssl, settings.url);
  if (issues.length > 0) throw invalidConfig(issues);
  const tls = tlsOptions(settings.ssl, 'clickhouse.ssl');
  if (typeof tls === 'boolean') return undefined;
  return new HttpsAgent({ keepAlive: true, maxSockets: CLICKHOUSE_MAX_SOCKETS, ...tls });
}
