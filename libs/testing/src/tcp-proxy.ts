/**
 * A TCP proxy in front of a real server that a test can cut and restore, to simulate a
 * network outage of a shared server (the local Kafka) without stopping it for anyone else.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Destroys every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    host: '127.0.0.1',
    port: address.port,
    cut: () => {
      down = true;
      destroyAll();
    },
    restore: () => {
      down = false;
    },
    close: async () => {
      destroyAll();
      await new Promise((done) => server.close(done));
    },
  };
}
