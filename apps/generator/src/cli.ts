// `generator run …`: synthetic events to Kafka (or stdout with --dry-run). See README.md.
import { takeRunFlags } from '@platform/config';
import { exitWhenFlushed, installProcessFailureHandler } from '@platform/observability';
import { parseArgs } from './cli/args';
import { runCommand } from './cli/run-command';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
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
// --namespace and --domain-file (DOMAIN_FILE) apply to the config the run loads.
main(takeRunFlags(process.argv.slice(2), process.env, { keepDomain: true })).then(
  (code) => exitWhenFlushed(code),
  (error: unknown) => {
    console.error(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
