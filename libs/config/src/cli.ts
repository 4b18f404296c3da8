import { Command, CommanderError } from 'commander';
import { APP_SECTIONS, readAppSection } from './lib/app-settings';
import { isConfigError } from './lib/config.error';
import { explain, formatExplanation } from './lib/explain';
import { configLoadOptions, withConfigFlags, type ConfigFlags } from './lib/cli-flags';
import { loadWithProvenance } from './lib/loader';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Run the CLI and return its exit code; no `process.exit` so tests can drive it. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('config')
    .description('Inspect and check the layered platform configuration')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });

  withConfigFlags(program.command('explain'))
    .description('print every effective key, its value (secrets masked) and where it came from')
    .option('--json', 'machine-readable output')
    .action(async (flags: ConfigFlags & { json?: boolean }) => {
      const loaded = await loadWithProvenance(configLoadOptions(flags, io));
      const explanation = explain(loaded, io.env);
      io.out(flags.json ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
    });

  withConfigFlags(program.command('validate'))
    .description(
      "load and validate (services' sections too); exit 0 when valid, 1 with every problem otherwise",
    )
    .action(async (flags: ConfigFlags) => {
      const loaded = await loadWithProvenance(configLoadOptions(flags, io));
      for (const section of APP_SECTIONS) readAppSection(section, io.env);
      io.out(
        `config valid: domain ${loaded.domain}, environment ${loaded.environment}${loaded.namespace === '' ? '' : `, namespace ${loaded.namespace}`} (${loaded.files.join(' < ')})`,
      );
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0 in commander's exitOverride mode.
      exitCode = error.exitCode;
    } else if (isConfigError(error)) {
      io.err(`config: ${error.code}: ${error.message}`);
      exitCode = 1;
    } else {
      io.err(`config: ${error instanceof Error ? error.message : String(error)}`);
      exitCode = 1;
    }
  }
  return exitCode;
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    env: process.env,
    cwd: process.cwd(),
  }).then((code) => {
    process.exitCode = code;
  });
}
