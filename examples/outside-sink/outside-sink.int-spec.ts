import { Test } from '@nestjs/testing';
import { describeSinkContract, SINKS, SinkModule, type Sink } from '@platform/sink-adapters';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The package is loaded by its path, as config names it, through SinkModule: the lib never
// imports it. Hermetic, but an integration test: it proves the plugin path end to end.
const directory = mkdtempSync(join(tmpdir(), 'outside-sink-'));

describeSinkContract('outside-sink (jsonl), loaded by module path', {
  make: async () => {
    const app = await Test.createTestingModule({
      imports: [
        SinkModule.register({
          sinks: ['jsonl'],
          plugins: ['./examples/outside-sink'],
          cwd: join(__dirname, '..', '..'),
          optionsFor: () => ({ directory }),
        }),
      ],
    }).compile();
    const [sink] = app.get<Sink[]>(SINKS);
    if (sink?.name !== 'jsonl') throw new Error('the plugin did not provide the jsonl sink');
    return sink;
  },
  cleanup: async () => rmSync(directory, { recursive: true, force: true }),
});
