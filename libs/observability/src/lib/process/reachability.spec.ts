import { createServer, type Server } from 'node:net';
import { assertReachable, DependencyUnreachableError } from './reachability';

describe(assertReachable.name, () => {
  let server: Server;
  let open: string;
  let closed: string;

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    open = `127.0.0.1:${port}`;
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    closed = `127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((done) => probe.close(done));
  });

  afterAll(() => new Promise((done) => server.close(done)));

  it('resolves when one address answers', async () => {
    await expect(assertReachable('kafka', [closed, open], 2000)).resolves.toBeUndefined();
  });

  it('names the dependency, every address and its reason when none answers', async () => {
    const error = await assertReachable('kafka', [closed], 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnreachableError);
    expect((error as Error).message).toBe(
      `kafka is unreachable at ${closed} (connect ECONNREFUSED ${closed})`,
    );
  });
});
