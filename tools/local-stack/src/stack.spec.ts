import { formatStatus, formatStatusLine } from './stack';

describe('formatStatusLine', () => {
  it('prints name, address, version, health and latency on one line', () => {
    const line = formatStatusLine({
      name: 'kafka',
      address: '127.0.0.1:9092',
      version: '4.1.1',
      healthy: true,
      latencyMs: 12.4,
      detail: 'pid 1',
    });
    expect(line).toMatch(/^kafka\s+127\.0\.0\.1:9092\s+4\.1\.1\s+healthy\s+12 ms\s+pid 1$/);
  });
  it('marks a server that is down', () => {
    const line = formatStatusLine({
      name: 'postgres',
      address: '127.0.0.1:5432',
      version: null,
      healthy: false,
      latencyMs: null,
    });
    expect(line).toMatch(/^postgres\s+127\.0\.0\.1:5432\s+-\s+DOWN\s+-$/);
  });
  it('prints one line per server', () => {
    const st = {
      name: 'clickhouse' as const,
      address: 'a',
      version: 'v',
      healthy: true,
      latencyMs: 1.23,
    };
    expect(formatStatus([st, st]).split('\n')).toHaveLength(2);
  });
});
