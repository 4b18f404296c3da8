import { runTs } from '@platform/testing';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CLI = 'apps/generator/src/cli.ts';

type Handler = (request: number, res: ServerResponse) => void;

/** A local JSON API whose answer depends on how many requests it has seen. */
async function startApi(
  handler: Handler,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    handler(requests, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/orders`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, body: unknown, status = 200): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const order = (id: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  placed_at: 1_704_067_200_000 + id * 1000,
  customer: { id: `u${id}` },
  total: `${id}0.50`,
  currency: 'EUR',
  device: 'mobile',
  ...extra,
});

const MAP =
  'timestamp=placed_at,user_id=customer.id,order_id=id,revenue=total,currency=currency,device_type=device';

const pollArgs = (url: string, extra: readonly string[]): string[] => [
  'run',
  '--env',
  'test',
  '--source',
  'http-poll',
  '--url',
  url,
  '--event-type',
  'purchase',
  '--json-path',
  'data.orders',
  '--map',
  MAP,
  '--every',
  '100ms',
  '--dry-run',
  '--no-progress',
  ...extra,
];

describe('generator run --source http-poll', () => {
  it('sends each record once across polls, retries a 503, reports a record that breaks the contract once and sends it corrected, and reports an id repeated in one answer once', async () => {
    const api = await startApi((n, res) => {
      if (n === 1) return json(res, { data: { orders: [order(1), order(2)] } });
      if (n === 2) return json(res, { error: 'busy' }, 503);
      if (n === 3) {
        return json(res, {
          data: { orders: [order(2), order(3), order(9, { currency: 'JPY' })] },
        });
      }
      if (n === 4) {
        // Order 3 again (sent before: skipped), and twice in this answer (reported); order 9
        // as refused before (not reported again).
        return json(res, {
          data: {
            orders: [
              order(3),
              order(3, { total: '99.00' }),
              order(4),
              order(9, { currency: 'JPY' }),
            ],
          },
        });
      }
      // Order 3 repeated as before (not reported again); order 9 corrected: sent.
      return json(res, {
        data: { orders: [order(3), order(3, { total: '99.00' }), order(4), order(9)] },
      });
    });
    try {
      const result = await runTs(CLI, pollArgs(api.url, ['--count', '5']));
      const events = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { eventType: string; event: Record<string, unknown> });
      expect(events.map((e) => e.event['order_id'])).toEqual(['1', '2', '3', '4', '9']);
      expect(events[0]).toMatchObject({
        eventType: 'purchase',
        event: {
          timestamp: 1_704_067_201_000,
          user_id: 'u1',
          revenue: 10.5,
          currency: 'EUR',
          device_type: 'mobile',
          coupon_code: null,
        },
      });
      // The same record gets the same event_id on every poll (and after a restart).
      expect(new Set(events.map((e) => e.event['event_id'])).size).toBe(5);
      expect(result.stderr.split('currency: must be one of').length - 1).toBe(1);
      expect(result.stderr).toContain(
        'rejected poll 2 record 3 (id 9): currency: must be one of "USD", "EUR", "GBP", got "JPY"',
      );
      expect(result.stderr).toContain(
        'rejected poll 3 record 2 (id 3): id: appears more than once in this answer: the first one was taken',
      );
      expect(result.stderr.split('appears more than once').length - 1).toBe(1);
      expect(result.stderr).toMatch(/FAILED: 5 sent, 2 errors, .* from http-poll to dry-run/);
      expect(result.code).toBe(1);
      expect(api.requests()).toBeGreaterThanOrEqual(4);
    } finally {
      await api.close();
    }
  });

  it('fails clearly on an answer that is not JSON, without retrying', async () => {
    const api = await startApi((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Login required</body></html>');
    });
    try {
      const result = await runTs(CLI, pollArgs(api.url, ['--count', '1']));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `error: GET ${api.url} (poll 1): the answer is not JSON: "<html><body>Login required</body></html>"`,
      );
      expect(api.requests()).toBe(1);
    } finally {
      await api.close();
    }
  });

  it('fails at once on an answer larger than it takes, without reading it or retrying', async () => {
    const api = await startApi((_, res) => {
      // Declares 1 GiB; a client that believed it would try to hold all of it.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 ** 30 });
      res.write('{"data": {"orders": [');
    });
    try {
      const result = await runTs(CLI, pollArgs(api.url, ['--count', '1']));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `error: GET ${api.url} (poll 1): the answer is larger than 67108864 bytes`,
      );
      expect(api.requests()).toBe(1);
    } finally {
      await api.close();
    }
  });

  it('gives up after --max-attempts requests that time out', async () => {
    const api = await startApi(() => undefined); // never answers
    try {
      const result = await runTs(
        CLI,
        pollArgs(api.url, ['--count', '1', '--request-timeout', '300ms', '--max-attempts', '2']),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `error: GET ${api.url} (poll 1) failed 2 times, last: no answer within 300 ms`,
      );
      expect(api.requests()).toBe(2);
    } finally {
      await api.close();
    }
  });
});
