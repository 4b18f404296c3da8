/**
 * Servers that require TLS, for tests: proxies in front of the local servers (which have TLS
 * off) that terminate TLS with a certificate made for the run and pass the session on in plain
 * text.
 * - `startPgTlsProxy`: PostgreSQL. It answers a client's `SSLRequest` first; a client that does
 *   not ask for TLS is cut off, as a server with only `hostssl` entries would.
 * - `startTlsProxy`: any server spoken to over TLS from the first byte (ClickHouse's HTTPS
 *   port), optionally asking for a client certificate signed by a given CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

export interface TlsProxy {
  readonly port: number;
  /** PEM of the self-signed certificate the proxy presents (for `localhost` and 127.0.0.1). */
  readonly ca: string;
  /** Sessions that completed a TLS handshake and reached the server. */
  tlsSessions(): number;
  close(): Promise<void>;
}

export interface PgTlsProxy extends TlsProxy {
  /** Connections cut off for not asking for TLS. */
  refused(): number;
}

/** The 8 bytes of a PostgreSQL `SSLRequest`: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A self-signed certificate and its key, valid for a day, for `localhost` and 127.0.0.1 (a
 * server's) or for the common name `cn` (a client's; it is its own CA).
 */
export function selfSignedCertificate(cn = 'localhost'): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'));
  try {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr || made.error}`);
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Listens on a free loopback port; `accept` is handed each client socket and a function that
 * terminates TLS on it and forwards the session to the target.
 */
async function startProxy(
  targetHost: string,
  targetPort: number,
  tls: { cert: string; key: string; clientCa?: string },
  accept: (client: Socket, secure: () => void) => void,
): Promise<{ server: Server; port: number; sessions: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let sessions = 0;
  const secureSession = (client: Socket): void => {
    const secure = new TLSSocket(client, {
      isServer: true,
      cert: tls.cert,
      key: tls.key,
      ...(tls.clientCa === undefined
        ? {}
        : { requestCert: true, rejectUnauthorized: true, ca: [tls.clientCa] }),
    });
    secure.once('secure', () => {
      sessions++;
      const upstream = connect(targetPort, targetHost);
      sockets.add(upstream);
      const close = (): void => {
        secure.destroy();
        upstream.destroy();
        sockets.delete(upstream);
      };
      upstream.on('error', close).on('close', close);
      secure.on('error', close).on('close', close);
      secure.pipe(upstream).pipe(secure);
    });
    // A handshake either side refuses (the certificate, a missing client certificate) ends
    // here: nothing to forward.
    secure.on('error', () => client.destroy());
  };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy()).on('close', () => sockets.delete(client));
    accept(client, () => secureSession(client));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    server,
    port: address.port,
    sessions: () => sessions,
    close: async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise((done) => server.close(done));
    },
  };
}

export async function startPgTlsProxy(targetHost: string, targetPort: number): Promise<PgTlsProxy> {
  const { cert, key } = selfSignedCertificate();
  let refusals = 0;
  const proxy = await startProxy(targetHost, targetPort, { cert, key }, (client, secure) => {
    client.once('readable', function readRequest() {
      const first = client.read(SSL_REQUEST.length) as Buffer | null;
      if (first === null) {
        client.once('readable', readRequest);
        return;
      }
      if (!first.equals(SSL_REQUEST)) {
        refusals++;
        client.destroy();
        return;
      }
      client.write('S');
      secure();
    });
  });
  return {
    port: proxy.port,
    ca: cert,
    tlsSessions: proxy.sessions,
    refused: () => refusals,
    close: proxy.close,
  };
}

export interface TlsProxyOptions {
  /** PEM of the CA that client certificates must be signed by; unset: none asked for. */
  readonly clientCa?: string;
}

export async function startTlsProxy(
  targetHost: string,
  targetPort: number,
  options: TlsProxyOptions = {},
): Promise<TlsProxy> {
  const { cert, key } = selfSignedCertificate();
  const proxy = await startProxy(
    targetHost,
    targetPort,
    { cert, key, ...(options.clientCa === undefined ? {} : { clientCa: options.clientCa }) },
    (_client, secure) => secure(),
  );
  return { port: proxy.port, ca: cert, tlsSessions: proxy.sessions, close: proxy.close };
}
