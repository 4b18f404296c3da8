import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvSink } from '../csv/csv.sink';
import { MemorySink } from '../memory/memory.sink';
import { describeSinkContract } from './sink-contract';

// The in-process drivers; the database ones run it in sink-contract.int-spec.ts.
describeSinkContract('memory', { make: () => new MemorySink() });

const directory = mkdtempSync(join(tmpdir(), 'csv-contract-'));
describeSinkContract('csv', {
  make: () => new CsvSink({ directory }),
  cleanup: async () => rmSync(directory, { recursive: true, force: true }),
});
