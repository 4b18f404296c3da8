import { parseClusters, pickVersion } from './postgres';

describe('parseClusters', () => {
  it('reads pg_lsclusters output', () => {
    const out = [
      'Ver Cluster Port Status Owner    Data directory              Log file',
      '15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
      '16  other   5433 down   postgres /var/lib/postgresql/16/other /var/log/postgresql/postgresql-16-other.log',
    ].join('\n');
    expect(parseClusters(out)).toEqual([
      { version: '15', name: 'main', port: 5432, online: true },
      { version: '16', name: 'other', port: 5433, online: false },
    ]);
  });
  it('is empty without clusters', () => {
    expect(parseClusters('')).toEqual([]);
  });
});

describe('pickVersion', () => {
  it('takes the highest numeric version', () => {
    expect(pickVersion(['9.6', '15', '13', 'README'])).toBe('15');
    expect(pickVersion([])).toBeNull();
  });
});
