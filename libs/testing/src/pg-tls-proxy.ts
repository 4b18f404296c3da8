/**
 * A PostgreSQL server that requires TLS, for tests: a proxy in front of the local server (which
 * has TLS off) that answers a client's `SSLRequest`, terminates TLS with a certificate made for
 * the run, and passes the session on in plain text. A client that does not ask for TLS is cut
 * off, as a server with only `hostssl` entries would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

export interface PgTlsProxy {
  readonly port: number;
  /** PEM of the self-signed certificate the proxy presents (for `localhost` and 127.0.0.1). */
  readonly ca: string;
  /** Sessions that completed a TLS handshake and reached the server. */
  tlsSessions(): number;
  /** Connections cut off for not asking for TLS. */
  refused(): number;
  close(): Promise<void>;
}

/** The 8 bytes of a PostgreSQL `SSLRequest`: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** A self-signed certificate and its key for `localhost` and 127.0.0.1, valid for a day. */
function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pg-tls-'));
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
        '/CN=localhost',
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

export async function startPgTlsProxy(targetHost: string, targetPort: number): Promise<PgTlsProxy> {
  const { cert, key } = selfSignedCertificate();
  const sockets = new Set<Socket>();
  let sessions = 0;
  let refusals = 0;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy()).on('close', () => sockets.delete(client));
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
      const secure = new TLSSocket(client, { isServer: true, cert, key });
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
      // A client that refuses the certificate ends the handshake: nothing to forward.
      secure.on('error', () => client.destroy());
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    ca: cert,
    tlsSessions: () => sessions,
    refused: () => refusals,
    close: async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise((done) => server.close(done));
    },
  };
}
