import type { ConfigPath } from './path';

export type ConfigErrorCode =
  /** No config directory could be found. */
  | 'CONFIG_DIR_NOT_FOUND'
  /** A layer file named by the domain or environment does not exist. */
  | 'CONFIG_FILE_NOT_FOUND'
  /** A YAML file does not parse, or its top level is not a mapping. */
  | 'CONFIG_YAML_MALFORMED'
  /** A domain or environment name is not a plain file name. */
  | 'CONFIG_BAD_NAME'
  /** One or more keys have bad values, are missing or are unknown. */
  | 'CONFIG_INVALID'
  /** A `${secret:KEY}` reference names a key the backend does not have. */
  | 'CONFIG_SECRET_MISSING'
  /** The secret backend could not be read (unreachable, denied, unreadable file). */
  | 'CONFIG_SECRET_BACKEND';

export interface ConfigIssue {
  /** Where in the config tree; empty for a whole-file problem. */
  readonly path: ConfigPath;
  /** Where the offending value came from: `platform.yaml`, `env:PLATFORM__kafka__ssl`… */
  readonly source?: string;
  readonly message: string;
  /** For YAML syntax errors: 1-based position in `source`. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * Every way loading can fail. Messages name files, key paths and secret keys but never a
 * secret's value, so they are safe to log.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
    /** True when trying again later may succeed (a secret backend that timed out). */
    readonly retriable = false,
  ) {
    super(message);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
