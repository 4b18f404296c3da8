import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, resolveSettings, serviceDataDir } from './settings';

describe('resolveSettings', () => {
  it('defaults to <repo>/.stack, the XDG cache and Kafka 4.1.1', () => {
    const s = resolveSettings({}, '/home/u');
    expect(s.stackDir).toBe(path.join(REPO_ROOT, '.stack'));
    expect(s.cacheDir).toBe('/home/u/.cache/streaming-platform');
    expect(s.kafkaVersion).toBe('4.1.1');
    expect(s.kafka.port).toBe(9092);
    expect(s.kafka.controllerPort).toBe(9093);
  });

  it('derives the repo root from its own location', () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'tools', 'local-stack', 'project.json'))).toBe(true);
  });

  it('honours STACK_DIR, XDG_CACHE_HOME, PLATFORM_CACHE_DIR and KAFKA_VERSION', () => {
    expect(resolveSettings({ XDG_CACHE_HOME: '/c' }, '/h').cacheDir).toBe('/c/streaming-platform');
    const s = resolveSettings(
      { STACK_DIR: '/tmp/st', PLATFORM_CACHE_DIR: '/opt/cache', KAFKA_VERSION: '4.0.0' },
      '/h',
    );
    expect(s.stackDir).toBe('/tmp/st');
    expect(s.cacheDir).toBe('/opt/cache');
    expect(s.kafkaVersion).toBe('4.0.0');
  });

  it('rejects a malformed KAFKA_VERSION', () => {
    expect(() => resolveSettings({ KAFKA_VERSION: 'latest' }, '/h')).toThrow(/KAFKA_VERSION/);
  });
});

describe('serviceDataDir', () => {
  it('keeps the data under the stack directory when every parent can be entered', () => {
    expect(serviceDataDir('/srv/repo/.stack', 'clickhouse', () => true)).toBe(
      '/srv/repo/.stack/clickhouse',
    );
  });

  it('moves the data under /var/tmp when a parent is private to its owner', () => {
    const dir = serviceDataDir('/srv/repo/.stack', 'postgres', (d) => d !== '/srv');
    expect(dir).toMatch(/^\/var\/tmp\/streaming-platform-[0-9a-f]{12}\/postgres$/);
  });
});
