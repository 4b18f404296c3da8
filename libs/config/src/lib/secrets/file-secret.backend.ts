import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ConfigError } from '../config.error';
import { parseYamlText } from '../yaml-file';
import { timedCheck, type SecretBackend, type SecretBackendHealth } from './secret-backend';

/** A key that can only name a file inside the directory, never climb out of it. */
const FILE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Secrets from disk. `path` is either a directory holding one file per key (Docker and
 * Kubernetes secret mounts; content is trimmed) or one YAML or JSON file mapping keys to
 * values.
 */
export class FileSecretBackend implements SecretBackend {
  readonly name = 'file' as const;
  readonly description: string;
  private mapping?: Promise<ReadonlyMap<string, string>>;

  constructor(private readonly path: string) {
    this.description = `file ${path}`;
  }

  async get(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (await this.isDirectory()) return this.readDirectory(keys);
    this.mapping ??= this.readMappingFile();
    const all = await this.mapping;
    const found = new Map<string, string>();
    for (const key of keys) {
      const value = all.get(key);
      if (value !== undefined) found.set(key, value);
    }
    return found;
  }

  healthCheck(): Promise<SecretBackendHealth> {
    return timedCheck(async () => {
      if (await this.isDirectory()) await readdir(this.path);
      else await this.readMappingFile();
    });
  }

  private async isDirectory(): Promise<boolean> {
    try {
      return (await stat(this.path)).isDirectory();
    } catch {
      throw this.unreadable('does not exist');
    }
  }

  private async readDirectory(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    for (const key of keys) {
      if (!FILE_KEY.test(key)) continue;
      try {
        found.set(key, (await readFile(join(this.path, key), 'utf8')).trim());
      } catch (error) {
        if (!isNotFound(error)) throw this.unreadable(`cannot read the file for ${key}`);
      }
    }
    return found;
  }

  private async readMappingFile(): Promise<ReadonlyMap<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      throw this.unreadable('cannot be read');
    }
    let parsed: unknown;
    if (extname(this.path).toLowerCase() === '.json') {
      try {
        parsed = JSON.parse(text);
      } catch {
        // JSON.parse quotes the offending text, which here is a secret: say only where.
        throw this.unreadable('is not valid JSON');
      }
    } else {
      try {
        parsed = parseYamlText(text, this.path);
      } catch (error) {
        const issue = error instanceof ConfigError ? error.issues[0] : undefined;
        const where =
          issue?.line === undefined ? '' : ` at line ${issue.line}, column ${issue.column}`;
        throw this.unreadable(`is not valid YAML${where}: ${issue?.message ?? 'unreadable'}`);
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw this.unreadable('must map secret keys to values');
    }
    const mapping = new Map<string, string>();
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        mapping.set(key, String(value));
      }
    }
    return mapping;
  }

  private unreadable(reason: string): ConfigError {
    return new ConfigError('CONFIG_SECRET_BACKEND', `Secret backend file: ${this.path} ${reason}`);
  }
}

function isNotFound(error: unknown): boolean {
  // Duck-typed: fs errors may come from another realm under a test runner.
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}
