import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySink } from '../memory/memory.sink';
import type { Sink } from '../sink.port';
import { SINK_REGISTRY, SINKS, SinkModule } from './sink.module';
import type { SinkRegistry } from '../registry/sink-registry';

describe(SinkModule.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sink-plugins-'));
    // A plugin module as a third party ships it: CommonJS, built on no import of ours.
    writeFileSync(
      join(dir, 'echo.js'),
      "exports.sinks = [{ name: 'echo', create: (options) => ({ name: 'echo', options }) }];\n",
    );
    writeFileSync(join(dir, 'empty.js'), 'module.exports = {};\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const compile = (options: Parameters<typeof SinkModule.register>[0]) =>
    Test.createTestingModule({ imports: [SinkModule.register(options)] }).compile();

  it('builds the named sinks, built-in and from plugin modules, with their options', async () => {
    const app = await compile({
      sinks: ['memory', 'echo'],
      plugins: ['./echo.js'],
      cwd: dir,
      optionsFor: (name) => ({ for: name }),
    });
    const [memory, echo] = app.get<Sink[]>(SINKS);
    expect(memory).toBeInstanceOf(MemorySink);
    expect(echo).toEqual({ name: 'echo', options: { for: 'echo' } });
    expect(app.get<SinkRegistry>(SINK_REGISTRY).list()).toEqual([
      'clickhouse',
      'csv',
      'echo',
      'memory',
      'postgres',
    ]);
  });

  it('fails at boot on an unknown sink or a module that is not a sink plugin', async () => {
    await expect(compile({ sinks: ['s3'] })).rejects.toMatchObject({ code: 'UNKNOWN_SINK' });
    await expect(compile({ sinks: [], plugins: ['./empty.js'], cwd: dir })).rejects.toThrow(
      'exports no sinks',
    );
    await expect(compile({ sinks: [], plugins: ['./missing.js'], cwd: dir })).rejects.toThrow(
      /^cannot load sink plugin \.\/missing\.js: .*Cannot find module/,
    );
  });
});
