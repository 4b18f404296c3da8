import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createKafka } from './kafka-client';
import { kafkaHealth } from './kafka-health';
import type { KafkaSettings } from '@platform/config';
import { silentSink } from './kafka-logger';

const settings = (broker: string): KafkaSettings => ({
  brokers: [broker],
  client_id: 'health-spec',
  ssl: false,
  compression: 'none',
  connection_timeout_ms: 1000,
  request_timeout_ms: 30000,
  default_partitions: 1,
  replication_factor: 1,
});

describe(kafkaHealth.name, () => {
  it('reports the refused connection itself when nothing listens on the port (no retries)', async () => {
    const kafka = createKafka(settings('127.0.0.1:1'), { logger: silentSink });
    // A probe that retried would still be retrying after a minute and answer HEALTH_TIMEOUT.
    const health = await kafkaHealth(kafka, 60_000);
    expect(health.ok).toBe(false);
    expect(health.error).toMatch(/ECONNREFUSED|Connection/);
    expect(health.error).not.toMatch(/HEALTH_TIMEOUT/);
  });

  describe('against a server that accepts connections and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('gives up after the timeout instead of waiting for the request timeout', async () => {
      const { port } = server.address() as AddressInfo;
      const kafka = createKafka(settings(`127.0.0.1:${port}`), { logger: silentSink });
      const health = await kafkaHealth(kafka, 300);
      expect(health).toMatchObject({ ok: false });
      expect(health.error).toMatch(/^HEALTH_TIMEOUT/);
      expect(health.latencyMs).toBeGreaterThanOrEqual(290);
      expect(health.latencyMs).toBeLessThan(2000);
    });
  });

  it('uses a given admin as is and reports brokers and controller', async () => {
    const admin = {
      describeCluster: async () => ({
        brokers: [{ nodeId: 1, host: 'h', port: 9092 }],
        controller: 1,
        clusterId: 'c',
      }),
    };
    await expect(kafkaHealth(admin, 1000)).resolves.toMatchObject({
      ok: true,
      brokers: 1,
      controller: 1,
    });
  });

  it('reports an admin that fails with its error code', async () => {
    const admin = {
      describeCluster: async (): Promise<never> => {
        throw new Error('boom');
      },
    };
    await expect(kafkaHealth(admin, 1000)).resolves.toMatchObject({
      ok: false,
      error: 'UNKNOWN: boom',
    });
  });
});
