import { validateDomainModel } from '@platform/contracts';
import { scrubSecrets } from '@platform/secret-scrub';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config.error';
import { formatPath, isPlainObject, type ConfigPath, type PlainObject } from './path';
import { sourceOf, type Provenance } from './provenance';
import {
  configFileSchema,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DOMAIN_KEYS,
  type PlatformConfig,
  type PlatformSettings,
} from './platform-config.schema';

export const MASK = '******';

export interface ValidationContext {
  readonly provenance: Provenance;
  /** Resolved secret values, scrubbed from every message as a last line of defence. */
  readonly secretValues?: readonly string[];
  /** Paths whose values are still unresolved `${secret:…}` references: not judged yet. */
  readonly unresolvedPaths?: ReadonlySet<string>;
}

/**
 * Validate a merged, resolved tree into a {@link PlatformConfig}. Every problem is
 * collected (platform sections, cross-field rules, domain model) and thrown as one
 * `CONFIG_INVALID` error; messages describe types, never values.
 */
export function validateConfig(raw: PlainObject, context: ValidationContext): PlatformConfig {
  const issues: { path: ConfigPath; message: string }[] = [];

  const parsed = configFileSchema.safeParse(raw, { error: describeIssue });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          issues.push({
            path: [...issue.path.map(toSegment), key],
            message: unknownKey(key, issue.path),
          });
        }
      } else {
        issues.push({ path: issue.path.map(toSegment), message: issue.message });
      }
    }
  }
  issues.push(...crossFieldIssues(raw));

  const domainPart: PlainObject = { domain: raw['domain'], version: raw['version'] };
  for (const key of DOMAIN_KEYS) domainPart[key] = raw[key];
  const domain = validateDomainModel(domainPart);
  if (!domain.ok) issues.push(...domain.issues);

  const unresolved = context.unresolvedPaths ?? new Set<string>();
  const reported = dedupe(issues).filter(
    (issue) => !isUnresolved(formatPath(issue.path), unresolved),
  );
  if (!parsed.success || !domain.ok || reported.length > 0) {
    throw invalidConfig(
      reported.map((issue) => ({ ...issue, source: sourceOf(context.provenance, issue.path) })),
      context.secretValues ?? [],
    );
  }

  const settings: PlatformSettings = {
    domain: parsed.data.domain,
    version: parsed.data.version,
    environment: parsed.data.environment,
    namespace: parsed.data.namespace,
    kafka: parsed.data.kafka,
    topics: parsed.data.topics,
    schema_registry: parsed.data.schema_registry,
    clickhouse: parsed.data.clickhouse,
    postgres: parsed.data.postgres,
    secrets: parsed.data.secrets,
    logging: parsed.data.logging,
  };
  return { ...settings, model: domain.model };
}

/** `Invalid configuration:` followed by one line per issue, secret values masked. */
export function invalidConfig(
  issues: readonly ConfigIssue[],
  secretValues: readonly string[] = [],
): ConfigError {
  const scrubbed = issues.map((issue) => ({
    ...issue,
    // Short values would mangle ordinary words.
    message: scrubSecrets(issue.message, secretValues, { mask: MASK, minLength: 4 }),
  }));
  const lines = scrubbed.map((issue) => {
    const where = formatPath(issue.path) || '(top level)';
    return `  - ${where}${issue.source ? ` (${issue.source})` : ''}: ${issue.message}`;
  });
  return new ConfigError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, scrubbed);
}

/** Rules that span keys. Run on the raw tree so they are reported alongside type errors. */
function crossFieldIssues(raw: PlainObject): { path: ConfigPath; message: string }[] {
  const issues: { path: ConfigPath; message: string }[] = [];
  const secrets = raw['secrets'];
  if (isPlainObject(secrets)) {
    const backend = secrets['backend'];
    if (backend === 'file' && !isPlainObject(secrets['file'])) {
      issues.push({
        path: ['secrets', 'file', 'path'],
        message: 'required when secrets.backend is "file"',
      });
    }
    if (backend === 'vault' && !isPlainObject(secrets['vault'])) {
      issues.push({
        path: ['secrets', 'vault'],
        message: 'required when secrets.backend is "vault" (url, mount, path)',
      });
    }
  }
  for (const section of ['kafka', 'postgres', 'clickhouse']) {
    const settings = raw[section];
    if (isPlainObject(settings)) issues.push(...tlsIssues(settings['ssl'], [section, 'ssl']));
  }
  const clickhouse = raw['clickhouse'];
  if (isPlainObject(clickhouse))
    issues.push(...clickhouseUrlIssues(clickhouse['ssl'], clickhouse['url']));
  const kafka = raw['kafka'];
  if (isPlainObject(kafka)) {
    const connection = kafka['connection_timeout_ms'] ?? DEFAULT_CONNECTION_TIMEOUT_MS;
    const request = kafka['request_timeout_ms'] ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (typeof connection === 'number' && typeof request === 'number' && connection > request) {
      issues.push({
        path: ['kafka', 'connection_timeout_ms'],
        message: 'must not exceed kafka.request_timeout_ms',
      });
    }
  }
  return issues;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * What is wrong with a `ssl` section (`kafka.ssl`, `postgres.ssl`, `clickhouse.ssl`) at `path`: a `ca`, `cert` or
 * `key` that is not PEM contents (a file path is the usual mistake: better at load than at the
 * first handshake), or a `cert` without its `key`. Checked when the config loads.
 */
export function tlsIssues(ssl: unknown, path: ConfigPath): ConfigIssue[] {
  if (!isPlainObject(ssl)) return [];
  const issues: ConfigIssue[] = [];
  const given = (field: string): boolean => typeof ssl[field] === 'string' && ssl[field] !== '';
  for (const field of ['ca', 'cert', 'key'])
    if (given(field) && !PEM.test(ssl[field] as string))
      issues.push({
        path: [...path, field],
        message:
          'must hold PEM contents (-----BEGIN ...-----), not a file path; load files through config (e.g. ${secret:KEY})',
      });
  if (given('cert') !== given('key')) {
    const [missing, present] = given('cert') ? ['key', 'cert'] : ['cert', 'key'];
    issues.push({
      path: [...path, missing],
      message: `required with ${formatPath([...path, present])}`,
    });
  }
  return issues;
}

/**
 * ClickHouse's url chooses TLS (`https://`): a `clickhouse.ssl` other than `false` beside an
 * `http://` url would be ignored, or fail at the first request.
 */
export function clickhouseUrlIssues(ssl: unknown, url: unknown): ConfigIssue[] {
  if (ssl === undefined || ssl === false || typeof url !== 'string' || !/^http:/i.test(url))
    return [];
  return [
    {
      path: ['clickhouse', 'ssl'],
      message: 'needs an https:// clickhouse.url (the url chooses TLS)',
    },
  ];
}

/** Zod's messages, reworded to name the expected shape and the received type only. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${article(issue.expected)}, got ${typeName(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

function article(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a map';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  return typeof value === 'number'
    ? 'a number'
    : typeof value === 'string'
      ? 'a string'
      : typeof value;
}

function unknownKey(key: string, parent: readonly PropertyKey[]): string {
  const known = parent.length === 0 ? Object.keys(configFileSchema.shape) : [];
  const suggestion = closest(key, known);
  return suggestion ? `unknown key (did you mean "${suggestion}"?)` : 'unknown key';
}

function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = levenshtein(key, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function toSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}

function dedupe<T extends { path: ConfigPath; message: string }>(issues: readonly T[]): T[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isUnresolved(path: string, unresolved: ReadonlySet<string>): boolean {
  for (const candidate of unresolved) {
    if (path === candidate || path.startsWith(`${candidate}.`) || path.startsWith(`${candidate}[`))
      return true;
  }
  return false;
}
