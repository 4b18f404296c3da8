import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { attachRequestLogging } from './request-logging';

/** A server answering each path with the status in it (`/204`, `/500`), and its log lines. */
async function serve(options: Parameters<typeof attachRequestLogging>[2]): Promise<{
  server: Server;
  lines: Record<string, unknown>[];
  get(path: string): Promise<void>;
}> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const server = createServer((req, res) => {
    // `/hang` is never answered: its client gives up.
    if (req.url === '/hang') return;
    res.statusCode = Number(req.url?.slice(1).split('?')[0] ?? 200) || 200;
    res.end();
  });
  attachRequestLogging(server, logger, options);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const get = (path: string): Promise<void> =>
    new Promise((done, fail) =>
      httpRequest({ port, path, host: '127.0.0.1' }, (res) => {
        res.resume();
        res.once('end', () => setImmediate(done));
      })
        .once('error', fail)
        .end(),
    );
  return { server, lines, get };
}

describe(attachRequestLogging.name, () => {
  it('logs only the sampled share of successful requests at info, and every error', async () => {
    let n = 0;
    // Deterministic "random": 0.0, 0.1, 0.2, ... so a rate of 0.3 keeps three of ten.
    const { server, lines, get } = await serve({
      successSampleRate: 0.3,
      random: () => (n++ % 10) / 10,
    });
    for (let i = 0; i < 10; i++) await get('/202');
    await get('/400');
    await get('/503');
    server.close();
    const statuses = lines.map((l) => l['status']);
    expect(statuses.filter((s) => s === 202)).toHaveLength(3);
    expect(statuses).toContain(400);
    expect(statuses).toContain(503);
    expect(lines.find((l) => l['status'] === 503)?.['level']).toBe(40);
  });

  it('logs every request by default', async () => {
    const { server, lines, get } = await serve({});
    for (let i = 0; i < 5; i++) await get('/200');
    server.close();
    expect(lines.filter((l) => l['event'] === 'http.request')).toHaveLength(5);
  });

  it('logs a request whose client hung up before the answer as aborted, even when sampled out', async () => {
    const { server, lines } = await serve({ successSampleRate: 0, random: () => 0.5 });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((done) => {
      const req = httpRequest({ port, path: '/hang', host: '127.0.0.1' });
      req.once('error', () => undefined);
      req.end(() => setTimeout(() => req.destroy(), 50));
      const wait = setInterval(() => {
        if (lines.length > 0) {
          clearInterval(wait);
          done();
        }
      }, 10);
    });
    server.close();
    expect(lines).toEqual([
      expect.objectContaining({ event: 'http.request', url: '/hang', aborted: true, level: 30 }),
    ]);
  });
});
