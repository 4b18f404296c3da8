import { ensurePackages } from './apt';
import { up } from './stack';

/**
 * Jest globalSetup of jest.int.config.ts: the integration tests need the real servers, and
 * the dashboard's browser test Debian's chromium (driven through playwright-core).
 */
export default async function globalSetup(): Promise<void> {
  const log = (line: string): boolean => process.stderr.write(`[stack] ${line}\n`);
  await up({ log });
  await ensurePackages([{ pkg: 'chromium', bin: 'chromium' }], log);
}
