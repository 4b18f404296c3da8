import { status, up } from './stack';

describe('local stack (real servers)', () => {
  it('reports Kafka, ClickHouse and PostgreSQL healthy with versions after up()', async () => {
    await up();
    const all = await status();
    expect(all.map((s) => s.name).sort()).toEqual(['clickhouse', 'kafka', 'postgres']);
    for (const s of all) {
      expect({ name: s.name, healthy: s.healthy, detail: s.detail }).toEqual({
        name: s.name,
        healthy: true,
        detail: s.detail,
      });
      expect(s.version).toMatch(/^\d+\.\d+/);
      expect(s.latencyMs).not.toBeNull();
    }
    expect(all.find((s) => s.name === 'kafka')?.version).toBe(
      process.env['KAFKA_VERSION'] ?? '4.1.1',
    );
  });

  it('is idempotent: a second up() only checks', async () => {
    const started = Date.now();
    await up();
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
