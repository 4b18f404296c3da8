import { Command } from 'commander';
import { errorMessage, StackError } from './errors';
import { down, formatStatus, restartBroker, status, up } from './stack';

const log = (line: string): void => console.log(`[stack] ${line}`);

function fail(err: unknown): never {
  console.error(`stack: ${errorMessage(err)}`);
  if (err instanceof StackError && err.details) {
    console.error(err.details.replace(/^/gm, '  | '));
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const program = new Command()
    .name('stack')
    .description(
      'Local Kafka, ClickHouse and PostgreSQL on 127.0.0.1 (data and logs under .stack/)',
    )
    .showHelpAfterError();

  program
    .command('up')
    .description('start whatever is not running, wait until ready, print the status')
    .action(async () => {
      const started = Date.now();
      const all = await up({ log });
      console.log(formatStatus(all));
      log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  program
    .command('down')
    .description('stop the servers this tool started (data is kept)')
    .action(async () => {
      await down({ log });
      log('stopped');
    });

  program
    .command('status')
    .description('one line per server; exit code 1 when any is down')
    .action(async () => {
      const all = await status();
      console.log(formatStatus(all));
      if (all.some((x) => !x.healthy)) process.exitCode = 1;
    });

  program
    .command('restart-broker')
    .description('stop the Kafka broker (SIGTERM, or SIGKILL for a crash) and start it again')
    .argument('[signal]', 'SIGTERM or SIGKILL', 'SIGTERM')
    .action(async (signal: string) => {
      if (signal !== 'SIGTERM' && signal !== 'SIGKILL') {
        throw new StackError(`restart-broker: signal must be SIGTERM or SIGKILL, got ${signal}`);
      }
      const started = Date.now();
      await restartBroker(signal, { log });
      log(`broker back in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  await program.parseAsync(process.argv);
}

main().catch(fail);
