import { ConfigError } from './config.error';
import type { PostgresSettings, TlsSettings } from './platform-config.schema';

/** What `tls.connect` takes from a `ssl` section (a subset of node's `ConnectionOptions`). */
export interface TlsConnectOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * A `ssl` section (`kafka.ssl`, `postgres.ssl`) as `tls.connect` options: `true` and `{}` are
 * TLS with the system's trust store and the server's name checked. Throws `CONFIG_INVALID`
 * for a `ca`, `cert` or `key` that is not PEM contents (a file path is the usual mistake:
 * better at start-up than at the first handshake), or a `cert` without its `key`.
 */
export function tlsOptions(ssl: TlsSettings, section: string): boolean | TlsConnectOptions {
  if (typeof ssl === 'boolean') return ssl;
  const invalid = (field: string, message: string) =>
    new ConfigError('CONFIG_INVALID', `${section}.${field} ${message}`, [
      { path: [...section.split('.'), field], message },
    ]);
  const pem = (field: 'ca' | 'cert' | 'key'): string | undefined => {
    const value = ssl[field];
    if (value === undefined || value === '') return undefined;
    if (!PEM.test(value))
      throw invalid(
        field,
        'must hold PEM contents (-----BEGIN ...-----), not a file path; load files through config (e.g. ${secret:KEY})',
      );
    return value;
  };
  const options: TlsConnectOptions = {};
  const ca = pem('ca');
  const cert = pem('cert');
  const key = pem('key');
  if ((cert === undefined) !== (key === undefined))
    throw invalid(
      cert === undefined ? 'cert' : 'key',
      `and ${section}.${cert === undefined ? 'key' : 'cert'} must be given together`,
    );
  if (ca !== undefined) options.ca = [ca];
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  if (ssl.reject_unauthorized !== undefined) options.rejectUnauthorized = ssl.reject_unauthorized;
  return options;
}

/**
 * Where and as whom a `pg` client or pool connects, from the `postgres` section: the one
 * mapping every service uses, so each honours the same keys (`ssl` included). Timeouts and
 * pool sizes are each caller's own.
 */
export function pgConnection(settings: PostgresSettings): {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean | TlsConnectOptions;
} {
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
export function typeormPostgres(settings: PostgresSettings): {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  ssl: boolean | TlsConnectOptions;
} {
  const { user, ...connection } = pgConnection(settings);
  return { type: 'postgres', ...connection, username: user };
}
