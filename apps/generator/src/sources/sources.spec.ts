import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayPacer } from './csv-source';
import { SourceOptionError, SourceRegistry, type SourcePlugin } from './event-source';
import { eventIdFor, readPollAnswer, SeenIds } from './http-poll-source';

async function* nothing(): AsyncGenerator<never> {
  // a source without events
}

const plugin = (name: string): SourcePlugin => ({
  name,
  description: `${name} source`,
  open: () => ({ name, description: '', [Symbol.asyncIterator]: nothing }),
});

describe(ReplayPacer.name, () => {
  it('keeps the original gaps, scaled by the speed', () => {
    const pacer = new ReplayPacer(2);
    expect(pacer.delayFor(10_000, 500)).toBe(0); // the first event sets the origin
    expect(pacer.delayFor(12_000, 600)).toBe(900); // 2 s of event time at 2x: due at 1 500
    expect(pacer.delayFor(13_000, 2_100)).toBe(0); // already due
  });

  it('sends an event older than the one before at once, and never waits at max speed', () => {
    const pacer = new ReplayPacer(1);
    pacer.delayFor(10_000, 0);
    expect(pacer.delayFor(5_000, 0)).toBe(0);
    expect(new ReplayPacer(Infinity).delayFor(99_000, 0)).toBe(0);
  });
});

describe(readPollAnswer.name, () => {
  it('takes the array at the path', () => {
    expect(readPollAnswer(200, Buffer.from('{"data":{"items":[{"id":1}]}}'), 'data.items')).toEqual(
      {
        kind: 'records',
        records: [{ id: 1 }],
      },
    );
    expect(readPollAnswer(200, Buffer.from('[]'), '')).toEqual({ kind: 'records', records: [] });
  });

  it('retries 5xx and 429, fails other answers with a reason', () => {
    expect(readPollAnswer(503, Buffer.from('busy'), '')).toEqual({
      kind: 'retry',
      reason: 'HTTP 503',
    });
    expect(readPollAnswer(429, Buffer.from(''), '')).toEqual({ kind: 'retry', reason: 'HTTP 429' });
    expect(readPollAnswer(404, Buffer.from('no such page'), '')).toEqual({
      kind: 'fail',
      reason: 'HTTP 404: "no such page"',
    });
    expect(readPollAnswer(200, Buffer.from('<html>\n<p>hi</p>'), '')).toEqual({
      kind: 'fail',
      reason: 'the answer is not JSON: "<html> <p>hi</p>"',
    });
    expect(readPollAnswer(200, Buffer.from('{"data":{"items":{}}}'), 'data.items')).toEqual({
      kind: 'fail',
      reason: 'expected an array of records at data.items, found object',
    });
    expect(readPollAnswer(200, Buffer.from('{}'), 'data')).toEqual({
      kind: 'fail',
      reason: 'expected an array of records at data, found nothing',
    });
  });

  it('fails an answer that is not UTF-8, instead of sending U+FFFD for its bytes', () => {
    const latin1 = Buffer.from('[{"id":1,"city":"Zürich"}]', 'latin1');
    expect(readPollAnswer(200, latin1, '')).toMatchObject({
      kind: 'fail',
      reason: expect.stringContaining('not UTF-8'),
    });
    const utf8 = Buffer.from('[{"id":1,"city":"Zürich"}]', 'utf8');
    expect(readPollAnswer(200, utf8, '')).toEqual({
      kind: 'records',
      records: [{ id: 1, city: 'Zürich' }],
    });
  });
});

describe(SeenIds.name, () => {
  it('admits an id once and forgets the oldest beyond its capacity', () => {
    const seen = new SeenIds(2);
    expect([seen.add('a'), seen.add('a'), seen.add('b'), seen.add('c'), seen.add('a')]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
  });
});

describe(eventIdFor.name, () => {
  it('is a stable UUID per URL and record id', () => {
    const id = eventIdFor('http://api/orders', '17');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor('http://api/orders', '17')).toBe(id);
    expect(eventIdFor('http://api/orders', '18')).not.toBe(id);
  });
});

describe(SourceRegistry.name, () => {
  it('finds sources by name and names the known ones otherwise', () => {
    const registry = new SourceRegistry([plugin('synthetic'), plugin('csv')]);
    expect(registry.get('csv').description).toBe('csv source');
    expect(() => registry.get('kinesis')).toThrow(
      new SourceOptionError('unknown source "kinesis"; known: synthetic, csv'),
    );
    expect(() => registry.register(plugin('csv'))).toThrow('already registered');
  });

  it('loads the sources a module exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'generator-plugin-'));
    try {
      await writeFile(
        join(dir, 'ticker.js'),
        `exports.sources = [{ name: 'ticker', description: 'ticks', open() { return { name: 'ticker', description: '', async *[Symbol.asyncIterator]() {} }; } }];\n`,
      );
      await writeFile(join(dir, 'empty.js'), 'module.exports = {};\n');
      const registry = new SourceRegistry();
      registry.load('./ticker.js', dir);
      expect(registry.list().map((p) => p.name)).toEqual(['ticker']);
      expect(() => registry.load('./empty.js', dir)).toThrow('exports no sources');
      expect(() => registry.load('./missing.js', dir)).toThrow(
        /^cannot load source plugin \.\/missing\.js: .*Cannot find module/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
