import { isAbsolute, join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  configLoadOptions,
  isConfigError,
  loadWithProvenance,
  withConfigFlags,
  type ConfigFlags,
  type LoadedConfig,
} from '@platform/config';
import {
  checkAgainstBaseline,
  checkAgainstRegistry,
  contractSchemas,
  formatCheckReport,
  readBaseline,
  registerContracts,
  writeBaseline,
  type ContractSchema,
} from './cli/contracts-check';
import { SchemaRegistryClient } from './client/schema-registry.client';
import { isSchemaRegistryError } from './client/schema-registry.error';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from './compatibility';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Exit codes: 0 all compatible, 1 an incompatibility, 2 usage, config or registry errors. */
export const EXIT = { OK: 0, INCOMPATIBLE: 1, ERROR: 2 } as const;

/** The baseline directory inside the config directory, unless `--baseline` says otherwise. */
export const DEFAULT_BASELINE_DIR = 'contracts-baseline';

class UsageError extends Error {}

interface CheckFlags extends ConfigFlags {
  readonly registry?: string | true;
  readonly baseline?: string;
  readonly level?: CompatibilityLevel;
}

/** Run the CLI and return its exit code; no `process.exit` so tests can drive it. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('contracts')
    .description('Check and register the Avro schemas generated from a domain description')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });

  withConfigFlags(program.command('check'))
    .description(
      'check every generated schema against a registry (its configured levels) or a baseline directory',
    )
    .option(
      '--registry [url]',
      'check against this registry (no url: schema_registry.url of the config)',
    )
    .option(
      '--baseline <dir>',
      `baseline of <subject>.avsc files (default: <config dir>/${DEFAULT_BASELINE_DIR})`,
    )
    .addOption(
      new Option(
        '--level <level>',
        'compatibility level for a baseline check (default: BACKWARD)',
      ).choices(COMPATIBILITY_LEVELS),
    )
    .action(async (flags: CheckFlags) => {
      if (flags.registry !== undefined && flags.baseline !== undefined) {
        throw new UsageError('use either --registry or --baseline, not both');
      }
      if (flags.registry !== undefined && flags.level !== undefined) {
        throw new UsageError(
          '--level applies to baseline checks; a registry uses its configured levels',
        );
      }
      const loaded = await loadConfig(flags, io);
      const schemas = schemasOf(loaded);
      let result;
      if (flags.registry !== undefined) {
        const client = registryClient(flags.registry, loaded, io);
        io.out(`# ${loaded.domain}/${loaded.environment} against ${client.baseUrl}`);
        result = await checkAgainstRegistry(schemas, client);
      } else {
        const dir = flags.baseline
          ? resolve(io.cwd, flags.baseline)
          : join(loaded.configDir, DEFAULT_BASELINE_DIR);
        let baseline: Map<string, string>;
        try {
          baseline = readBaseline(dir);
        } catch (err) {
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
        const level = flags.level ?? 'BACKWARD';
        io.out(
          `# ${loaded.domain}/${loaded.environment} against baseline ${display(dir, io)} (${level})`,
        );
        result = checkAgainstBaseline(schemas, baseline, level);
      }
      for (const line of formatCheckReport(result)) io.out(line);
      exitCode = result.compatible ? EXIT.OK : EXIT.INCOMPATIBLE;
    });

  withConfigFlags(program.command('baseline'))
    .description('write the generated schemas as <subject>.avsc files (the baseline to commit)')
    .option('--out <dir>', `output directory (default: <config dir>/${DEFAULT_BASELINE_DIR})`)
    .action(async (flags: ConfigFlags & { out?: string }) => {
      const loaded = await loadConfig(flags, io);
      const dir = flags.out
        ? resolve(io.cwd, flags.out)
        : join(loaded.configDir, DEFAULT_BASELINE_DIR);
      const schemas = schemasOf(loaded);
      const { written, removed } = writeBaseline(dir, schemas);
      io.out(
        `baseline ${display(dir, io)}: ${schemas.length} subjects, ${written.length} written, ${removed.length} removed`,
      );
    });

  withConfigFlags(program.command('register'))
    .description('register every generated schema in a registry')
    .option('--registry <url>', 'registry URL (default: schema_registry.url of the config)')
    .action(async (flags: ConfigFlags & { registry?: string }) => {
      const loaded = await loadConfig(flags, io);
      const client = registryClient(flags.registry ?? true, loaded, io);
      const results = await registerContracts(schemasOf(loaded), client);
      const width = Math.max(0, ...results.map((r) => r.subject.length));
      for (const r of results) {
        if (r.status === 'registered')
          io.out(`registered    ${r.subject.padEnd(width)}  id ${r.id}`);
        else
          io.out(`INCOMPATIBLE  ${r.subject}\n${r.messages.map((m) => `    - ${m}`).join('\n')}`);
      }
      const refused = results.filter((r) => r.status === 'incompatible').length;
      io.out(
        `${results.length} subjects: ${results.length - refused} registered, ${refused} incompatible`,
      );
      exitCode = refused === 0 ? EXIT.OK : EXIT.INCOMPATIBLE;
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    exitCode = EXIT.ERROR;
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0; commander has printed the message.
      if (error.exitCode === 0) exitCode = EXIT.OK;
    } else if (isConfigError(error)) {
      io.err(`contracts: ${error.code}: ${oneLine(error.message)}`);
    } else if (isSchemaRegistryError(error)) {
      io.err(`contracts: ${oneLine(error.message)}`);
    } else {
      io.err(`contracts: ${oneLine(error instanceof Error ? error.message : String(error))}`);
    }
  }
  return exitCode;
}

function loadConfig(flags: ConfigFlags, io: CliIo): Promise<LoadedConfig> {
  return loadWithProvenance(configLoadOptions(flags, io));
}

function schemasOf(loaded: LoadedConfig): readonly ContractSchema[] {
  return contractSchemas(loaded.config.model, loaded.config.topics);
}

/** `true` means the config's registry. Credentials come from the environment only. */
function registryClient(url: string | true, loaded: LoadedConfig, io: CliIo): SchemaRegistryClient {
  const target = url === true ? loaded.config.schema_registry.url : url;
  try {
    return new SchemaRegistryClient({
      url: target,
      username: io.env['SCHEMA_REGISTRY_USERNAME'],
      password: io.env['SCHEMA_REGISTRY_PASSWORD'],
      // A CLI should fail in seconds, not after a service's patient retries.
      timeoutMs: 10_000,
      retry: { retries: 2, initialDelayMs: 200, maxDelayMs: 1_000 },
    });
  } catch {
    throw new UsageError('invalid registry URL (--registry or schema_registry.url)');
  }
}

function display(dir: string, io: CliIo): string {
  const rel = relative(io.cwd, dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, '; ');

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
