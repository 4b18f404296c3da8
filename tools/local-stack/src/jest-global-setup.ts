import { up } from './stack';

/** Jest globalSetup of jest.int.config.ts: the integration tests need the real servers. */
export default async function globalSetup(): Promise<void> {
  await up({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
}
