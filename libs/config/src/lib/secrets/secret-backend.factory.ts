import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../config.error';
import type { Env } from '../env-overrides';
import type { SecretsSettings } from '../platform-config.schema';
import { EnvSecretBackend } from './env-secret.backend';
import { FileSecretBackend } from './file-secret.backend';
import type { SecretBackend } from './secret-backend';
import { VaultSecretBackend } from './vault-secret.backend';

export interface SecretBackendContext {
  /** Where the env backend reads and `VAULT_TOKEN` comes from. */
  readonly env: Env;
  /** A relative `secrets.file.path` is resolved against this directory. */
  readonly configDir: string;
}

/** The backend `secrets.backend` names, built from its section of the config. */
export function createSecretBackend(
  settings: SecretsSettings,
  context: SecretBackendContext,
): SecretBackend {
  switch (settings.backend) {
    case 'env':
      return new EnvSecretBackend(context.env);
    case 'file': {
      if (!settings.file) throw missingSection('file', 'secrets.file.path');
      const path = settings.file.path;
      return new FileSecretBackend(isAbsolute(path) ? path : resolve(context.configDir, path));
    }
    case 'vault': {
      if (!settings.vault) throw missingSection('vault', 'secrets.vault.url, mount and path');
      const envToken = context.env['VAULT_TOKEN'];
      return new VaultSecretBackend({
        url: settings.vault.url,
        mount: settings.vault.mount,
        path: settings.vault.path,
        token: envToken !== undefined && envToken !== '' ? envToken : settings.vault.token,
        timeoutMs: settings.vault.timeout_ms,
      });
    }
  }
}

function missingSection(backend: string, keys: string): ConfigError {
  return new ConfigError(
    'CONFIG_INVALID',
    `Invalid configuration:\n  - secrets: backend "${backend}" needs ${keys}`,
  );
}
