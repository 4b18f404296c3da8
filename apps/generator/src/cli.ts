// `generator run …`: synthetic events to Kafka (or stdout with --dry-run). See README.md.
import { isConfigError, takeRunFlags } from '@platform/config';
import { exitWhenFlushed, installProcessFailureHandler } from '@platform/observability';
import { parseArgs } from './cli/args';
import { runCommand } from './cli/run-command';

async function main(argv: readonly string[]): Promise<number> {
  let rest: string[];
  try {
    // --namespace and --domain-file (DOMAIN_FILE) apply to the config the run loads.
    rest = takeRunFlags(argv, process.env, { keepDomain: true });
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  const parsed = parseArgs(rest);
  if (parsed.kind === 'exit') {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.output);
    return parsed.code;
  }
  const controller = new AbortController();
  // First Ctrl-C stops generating and flushes what was sent; a second one kills.
  process.once('SIGINT', () => {
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => controller.abort());
  return runCommand(parsed.args, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: process.stderr.isTTY === true,
    wallClock: () => Date.now(),
    signal: controller.signal,
  });
}

installProcessFailureHandler({ app: 'generator' });
main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (error: unknown) => {
    console.error(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
