import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from './config.error';
import { deepMerge } from './deep-merge';
import { envLayers, type ConfigLayer, type Env } from './env-overrides';
import { formatPath, isPlainObject, leaves, type PlainObject } from './path';
import { recordLayer, type Provenance } from './provenance';
import { secretsSchema, type PlatformConfig, type SecretsSettings } from './platform-config.schema';
import { createSecretBackend } from './secrets/secret-backend.factory';
import { findSecretReferences, resolveSecrets } from './secrets/secret-resolver';
import { checkNamespace, DOMAIN_FILE_ENV, NAMESPACE_ENV, namespaceLayer } from './namespace';
import { validateConfig } from './validate';
import { readYamlFile } from './yaml-file';

export interface LoadOptions {
  /** Picks `domains/<domain>.yaml`. Default: `DOMAIN`, then `domain` in platform.yaml. */
  readonly domain?: string;
  /** Picks `environments/<environment>.yaml`. Default: `ENVIRONMENT`, then platform.yaml. */
  readonly environment?: string;
  /** Default: `CONFIG_DIR`, then the nearest `config/` (holding platform.yaml) above the cwd. */
  readonly configDir?: string;
  /** Environment variables for overrides and the env secret backend. Default: `process.env`. */
  readonly env?: Env;
  /** Where the upward search for `config/` starts. Default: `process.cwd()`. */
  readonly cwd?: string;
  /**
   * A domain file anywhere on disk, in place of `domains/<domain>.yaml` (relative to the
   * cwd). Default: `DOMAIN_FILE`. The domain is then the file's `domain`, else its name.
   */
  readonly domainFile?: string;
  /**
   * Prefixes every name the run owns: topic prefixes, `clickhouse.database`,
   * `postgres.schema`. Default: `NAMESPACE`, else none.
   */
  readonly namespace?: string;
}

export interface LoadedConfig {
  readonly config: PlatformConfig;
  /** Leaf path → `platform.yaml`, `environments/dev.yaml`, `env:PLATFORM__kafka__client_id`… */
  readonly provenance: Provenance;
  /** Leaf paths holding secrets (resolved references and credential-named keys): mask these. */
  readonly secretPaths: ReadonlySet<string>;
  /** The merged, resolved tree before validation: what the files and variables said. */
  readonly raw: Readonly<PlainObject>;
  readonly configDir: string;
  readonly domain: string;
  readonly environment: string;
  /** `''` when the run has none. */
  readonly namespace: string;
  /** Layer files read, relative to `configDir`, in merge order. */
  readonly files: readonly string[];
}

const PLATFORM_FILE = 'platform.yaml';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Keys whose values are credentials even when written literally. */
const SENSITIVE_KEY = /(password|passwd|secret|token|api_key|private_key)$|^key$/i;

/** Load, merge, resolve secrets and validate; the typed config or a {@link ConfigError}. */
export async function load(options: LoadOptions = {}): Promise<PlatformConfig> {
  return (await loadWithProvenance(options)).config;
}

/** Like {@link load}, with where every value came from and which paths are secret. */
export async function loadWithProvenance(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const configDir = resolveConfigDir(options, env);

  const platform = readLayerFile(configDir, PLATFORM_FILE);
  const environment = pick('environment', options.environment, env['ENVIRONMENT'], platform);
  const environmentFile = layerFileName(configDir, 'environments', environment);
  const domainPath = options.domainFile ?? nonEmpty(env[DOMAIN_FILE_ENV]);
  const cwd = options.cwd ?? process.cwd();
  const domainLayer =
    domainPath === undefined ? undefined : readDomainFile(resolve(cwd, domainPath));
  const domain =
    domainLayer === undefined
      ? pick('domain', options.domain, env['DOMAIN'], platform)
      : pick('domain', options.domain, env['DOMAIN'], { domain: domainLayer.name });
  const domainFile = domainLayer?.path ?? layerFileName(configDir, 'domains', domain);
  const namespace = checkNamespace(
    options.namespace ?? env[NAMESPACE_ENV],
    options.namespace === undefined ? `env:${NAMESPACE_ENV}` : 'argument:namespace',
  );

  const layers: ConfigLayer[] = [
    { source: PLATFORM_FILE, data: platform },
    { source: environmentFile, data: readLayerFile(configDir, environmentFile) },
    { source: domainFile, data: domainLayer?.data ?? readLayerFile(configDir, domainFile) },
  ];
  // An explicit argument beats the variable: the files it picked and the value must agree.
  const skip = new Set<string>();
  if (options.domain !== undefined) skip.add('DOMAIN');
  if (options.environment !== undefined) skip.add('ENVIRONMENT');
  layers.push(...envLayers(env, skip));

  let merged: PlainObject = {};
  const provenance = new Map<string, string>();
  const apply = (layer: ConfigLayer): void => {
    const next = deepMerge(merged, layer.data);
    merged = isPlainObject(next) ? next : {};
    recordLayer(provenance, layer.data, layer.source);
  };
  layers.forEach(apply);
  if (merged['domain'] !== domain) {
    apply({ source: 'argument:domain', data: { domain } });
  }
  if (options.environment !== undefined && merged['environment'] !== environment) {
    apply({ source: 'argument:environment', data: { environment } });
  }
  if (namespace !== '') {
    const source = options.namespace === undefined ? `env:${NAMESPACE_ENV}` : 'argument:namespace';
    apply({ source, data: { namespace } });
    apply({ source: `namespace:${namespace}`, data: namespaceLayer(merged, namespace) });
  }

  const secretsSection = secretsSchema.safeParse(merged['secrets'] ?? {});
  if (!secretsSection.success || !backendSectionPresent(secretsSection.data)) {
    // The backend cannot be built; report it with every other problem, judging no value
    // that still waits for a secret.
    const unresolvedPaths = new Set(
      findSecretReferences(merged).map((reference) => reference.path),
    );
    validateConfig(merged, { provenance, unresolvedPaths });
  }
  const backend = createSecretBackend(secretsSchema.parse(merged['secrets'] ?? {}), {
    env,
    configDir,
  });
  const resolved = await resolveSecrets(merged, backend, provenance);

  const config = validateConfig(resolved.tree, { provenance, secretValues: resolved.values });
  return {
    config,
    provenance,
    secretPaths: new Set([...resolved.secretPaths, ...sensitivePaths(resolved.tree)]),
    raw: resolved.tree,
    configDir,
    domain,
    environment,
    namespace,
    files: layers.filter((layer) => !layer.source.includes(':')).map((layer) => layer.source),
  };
}

/** `CONFIG_DIR`, else the nearest `config/platform.yaml` from `start` upwards. */
export function findConfigDir(start: string = process.cwd()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'config');
    if (existsSync(join(candidate, PLATFORM_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function resolveConfigDir(options: LoadOptions, env: Env): string {
  const explicit = options.configDir ?? nonEmpty(env['CONFIG_DIR']);
  if (explicit !== undefined) {
    const dir = resolve(options.cwd ?? process.cwd(), explicit);
    if (!isDirectory(dir)) {
      throw new ConfigError('CONFIG_DIR_NOT_FOUND', `Config directory ${dir} does not exist`);
    }
    return dir;
  }
  const found = findConfigDir(options.cwd ?? process.cwd());
  if (found === undefined) {
    throw new ConfigError(
      'CONFIG_DIR_NOT_FOUND',
      `No config directory: set CONFIG_DIR or run below a directory holding config/${PLATFORM_FILE}`,
    );
  }
  return found;
}

function pick(
  key: 'domain' | 'environment',
  argument: string | undefined,
  variable: string | undefined,
  platform: PlainObject,
): string {
  const fromFile = platform[key];
  const value =
    argument ?? nonEmpty(variable) ?? (typeof fromFile === 'string' ? fromFile : undefined);
  const variableName = key.toUpperCase();
  if (value === undefined) {
    throw new ConfigError(
      'CONFIG_BAD_NAME',
      `No ${key} given: pass one, set ${variableName} or set ${key} in ${PLATFORM_FILE}`,
    );
  }
  if (!SAFE_NAME.test(value)) {
    throw new ConfigError(
      'CONFIG_BAD_NAME',
      `Invalid ${key} name "${value}": use letters, digits, "_", "-" and "." only`,
    );
  }
  return value;
}

function layerFileName(configDir: string, folder: string, name: string): string {
  const file = `${folder}/${name}.yaml`;
  if (!existsSync(join(configDir, file))) {
    const known = listYaml(join(configDir, folder));
    throw new ConfigError(
      'CONFIG_FILE_NOT_FOUND',
      `Config file ${file} not found in ${configDir} (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  return file;
}

/** A domain file outside the config directory; the domain is its `domain`, else its name. */
function readDomainFile(path: string): { path: string; name: string; data: PlainObject } {
  if (!existsSync(path)) {
    throw new ConfigError('CONFIG_FILE_NOT_FOUND', `Domain file ${path} not found`);
  }
  const data = readYamlFile(path, path);
  const declared = data['domain'];
  const name = typeof declared === 'string' ? declared : basename(path).replace(/\.ya?ml$/i, '');
  return { path, name, data };
}

function readLayerFile(configDir: string, file: string): PlainObject {
  const path = join(configDir, file);
  if (!existsSync(path)) {
    throw new ConfigError('CONFIG_FILE_NOT_FOUND', `Config file ${file} not found in ${configDir}`);
  }
  return readYamlFile(path, file);
}

function listYaml(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => name.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

function sensitivePaths(tree: PlainObject): string[] {
  return leaves(tree)
    .filter((leaf) => {
      const last = leaf.path[leaf.path.length - 1];
      return (
        typeof last === 'string' &&
        SENSITIVE_KEY.test(last) &&
        leaf.value !== '' &&
        leaf.value != null
      );
    })
    .map((leaf) => formatPath(leaf.path));
}

function backendSectionPresent(settings: SecretsSettings): boolean {
  if (settings.backend === 'file') return settings.file !== undefined;
  if (settings.backend === 'vault') return settings.vault !== undefined;
  return true;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
