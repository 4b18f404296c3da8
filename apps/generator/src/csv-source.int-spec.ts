import { runTs, startSchemaRegistry, uniqueName } from '@platform/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteTopicsWithPrefix, recordCounts } from './testing/kafka-topics';

const CLI = 'apps/generator/src/cli.ts';

interface Line {
  readonly eventType: string;
  readonly event: Record<string, unknown>;
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

/** `generator run --source csv --file <file>` in the test environment, then `extra`. */
const replay = (file: string, ...extra: string[]): string[] => [
  'run',
  '--env',
  'test',
  '--source',
  'csv',
  '--file',
  file,
  ...extra,
];
const PAGE_VIEWS_DRY_RUN = ['--event-type', 'page_view', '--dry-run', '--no-progress'];

describe('generator run --source csv', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), uniqueName('gen_csv')));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replays typed rows with their timestamps and reports each row that breaks the contract', async () => {
    const file = join(dir, 'mixed.csv');
    const summaryFile = join(dir, 'mixed.summary.json');
    await writeFile(
      file,
      [
        'event_type,timestamp,user_id,page_url,device_type,country,price,product_id,quantity,revenue,order_id,currency',
        'page_view,2024-01-01T00:00:00Z,u1,/home,desktop,US,,,,,,',
        'add_to_cart,1704067200500,u1,,mobile,,19.99,p1,2,,,',
        'add_to_cart,1704067201000,u2,,mobile,,cheap,p1,9,,,',
        'page_view,1704067201200,u3,,phone,US,,,,,,',
        'refund,1704067202000,u3,,desktop,,,,,,,',
        'purchase,1704067203000,u1,,desktop,,,,,39.98,o-1,EUR',
        'page_view,1704067204000,u4,"/a,b",tablet,GB,,,,,,',
        '',
      ].join('\n'),
    );
    const result = await runTs(
      CLI,
      replay(
        file,
        '--replay-speed',
        'max',
        '--dry-run',
        '--no-progress',
        '--summary-json',
        summaryFile,
      ),
    );

    expect(result.code).toBe(1);
    const events = lines(result.stdout);
    expect(events.map((e) => [e.eventType, e.event['timestamp'], e.event['user_id']])).toEqual([
      ['page_view', 1_704_067_200_000, 'u1'],
      ['add_to_cart', 1_704_067_200_500, 'u1'],
      ['purchase', 1_704_067_203_000, 'u1'],
      ['page_view', 1_704_067_204_000, 'u4'],
    ]);
    expect(events[1]?.event).toMatchObject({ price: 19.99, quantity: 2, product_id: 'p1' });
    expect(events[2]?.event).toMatchObject({ revenue: 39.98, currency: 'EUR', coupon_code: null });
    expect(events[3]?.event['page_url']).toBe('/a,b');

    expect(result.stderr).toContain(
      'rejected line 4: price: expected a number, got "cheap"; quantity: must be <= 5, got 9\n',
    );
    expect(result.stderr).toContain(
      'rejected line 5: device_type: must be one of "desktop", "mobile", "tablet", got "phone"\n',
    );
    expect(result.stderr).toContain('rejected line 6: type: unknown event type "refund"');
    expect(result.stderr).toContain('error: 3 records did not fit the contract and were not sent');

    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({
      ok: false,
      source: 'csv',
      target: 'dry-run',
      sent: 4,
      errors: 3,
      rejected: 3,
      countsByType: { page_view: 2, add_to_cart: 1, purchase: 1 },
      revenueSum: 39.98,
      firstTimestamp: 1_704_067_200_000,
      lastTimestamp: 1_704_067_204_000,
    });
  });

  it('paces a clean file of one type by its timestamps and succeeds', async () => {
    const file = join(dir, 'views.csv');
    await writeFile(
      file,
      [
        'user_id,timestamp,device_type,country',
        'u1,1704067200000,desktop,US',
        'u2,1704067201000,mobile,DE',
        'u3,1704067202000,tablet,JP',
      ].join('\n'),
    );
    const result = await runTs(
      CLI,
      replay(
        file,
        '--event-type',
        'page_view',
        '--replay-speed',
        '100x',
        '--dry-run',
        '--no-progress',
      ),
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('Done: 3 sent, 0 errors'),
    });
    expect(lines(result.stdout).map((e) => e.event['country'])).toEqual(['US', 'DE', 'JP']);
  });

  it.each([
    [
      'a column named twice',
      'user_id,timestamp,device_type,country,country',
      /column country appears twice/,
    ],
    [
      'a __proto__ column',
      'user_id,timestamp,device_type,country,__proto__',
      /column __proto__ is not a field name/,
    ],
  ])('refuses a header with %s, naming it, and sends nothing', async (_what, header, message) => {
    const file = join(dir, 'bad-header.csv');
    await writeFile(file, [header, 'u1,1704067200000,desktop,US,DE'].join('\n'));
    const result = await runTs(CLI, replay(file, ...PAGE_VIEWS_DRY_RUN));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stdout.trim()).toBe('');
  });

  it('stops at a line that is not UTF-8, naming it, instead of sending U+FFFD', async () => {
    const file = join(dir, 'latin1.csv');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('user_id,timestamp,device_type,country\nu1,1704067200000,desktop,US\n'),
        Buffer.from('u2,1704067201000,desktop,Zürich\nu3,1704067202000,mobile,JP\n', 'latin1'),
      ]),
    );
    const result = await runTs(CLI, replay(file, ...PAGE_VIEWS_DRY_RUN));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${file}: line 3 is not UTF-8`);
    expect(result.stdout).not.toContain('\ufffd');
    expect(lines(result.stdout).map((e) => e.event['user_id'])).not.toContain('u2');
  });

  it('refuses a directory as the file with a usage error', async () => {
    const result = await runTs(CLI, replay(dir, ...PAGE_VIEWS_DRY_RUN));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a directory');
    expect(result.stderr).not.toContain('uncaught_exception');
  });

  it('replays to Kafka: each topic holds exactly the summary per-type counts', async () => {
    const prefix = uniqueName('it_gen_csv');
    const file = join(dir, 'kafka.csv');
    const summaryFile = join(dir, 'kafka.summary.json');
    const rows = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 2
        ? `add_to_cart,${1_704_067_200_000 + i * 100},u${i % 7},,desktop,,p${i},1`
        : `page_view,${1_704_067_200_000 + i * 100},u${i % 7},/p/${i},mobile,FR,,`,
    );
    await writeFile(
      file,
      [
        'event_type,timestamp,user_id,page_url,device_type,country,product_id,quantity',
        ...rows,
      ].join('\n'),
    );
    const registry = await startSchemaRegistry();
    try {
      const result = await runTs(
        CLI,
        replay(
          file,
          '--replay-speed',
          'max',
          '--target',
          'kafka',
          '--registry',
          registry.url,
          '--no-progress',
          '--summary-json',
          summaryFile,
        ),
        { PLATFORM__topics__events: prefix },
      );
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 0,
        stderr: expect.stringContaining('Done: 60 sent, 0 errors'),
      });
      const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
        countsByType: Record<string, number>;
      };
      expect(summary.countsByType).toEqual({ page_view: 40, add_to_cart: 20, purchase: 0 });
      const types = ['page_view', 'add_to_cart'];
      expect(
        await recordCounts(
          {},
          types.map((t) => `${prefix}.${t}`),
        ),
      ).toEqual({
        [`${prefix}.page_view`]: 40,
        [`${prefix}.add_to_cart`]: 20,
      });
    } finally {
      await registry.stop();
      await deleteTopicsWithPrefix({}, `${prefix}.`);
    }
  });
});
