import type { Command } from 'commander';
import type { LoadOptions } from './loader';

/** The flags of every command that loads the platform config (`config`, `contracts`). */
export interface ConfigFlags {
  readonly domain?: string;
  readonly env?: string;
  readonly configDir?: string;
  readonly domainFile?: string;
  readonly namespace?: string;
}

/** Adds the {@link ConfigFlags} to a commander command. */
export function withConfigFlags(command: Command): Command {
  return command
    .option('-d, --domain <domain>', 'domain file to load (default: DOMAIN, then platform.yaml)')
    .option(
      '-e, --env <environment>',
      'environment file to load (default: ENVIRONMENT, then platform.yaml)',
    )
    .option(
      '-c, --config-dir <dir>',
      'config directory (default: CONFIG_DIR, then the nearest config/)',
    )
    .option('--domain-file <path>', 'a domain file anywhere (default: DOMAIN_FILE)')
    .option('--namespace <name>', 'prefix of every name the run owns (default: NAMESPACE)');
}

/** What the flags ask `load` for; relative paths are read from `cwd`. */
export function configLoadOptions(
  flags: ConfigFlags,
  io: { readonly env: Readonly<Record<string, string | undefined>>; readonly cwd: string },
): LoadOptions {
  return {
    domain: flags.domain,
    environment: flags.env,
    configDir: flags.configDir,
    domainFile: flags.domainFile,
    namespace: flags.namespace,
    env: io.env,
    cwd: io.cwd,
  };
}
