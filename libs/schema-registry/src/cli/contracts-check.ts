import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aggregateTopic,
  eventTopic,
  valueSubject,
  type DomainModel,
  type TopicPrefixes,
} from '@platform/contracts';
import { generateAllAggregateSchemas, generateAllSchemas, toJson } from '../avro-schema';
import {
  checkCompatibility,
  type CompatibilityLevel,
  type CompatibilityResult,
} from '../compatibility';
import type { SchemaRegistryClient } from '../client/schema-registry.client';
import { CONFLUENT_ERROR_CODES, isSchemaRegistryError } from '../client/schema-registry.error';

/** One generated value schema and the subject it is registered under. */
export interface ContractSchema {
  readonly subject: string;
  readonly kind: 'event' | 'aggregate';
  /** The event type or aggregation name. */
  readonly name: string;
  /** Compact JSON, as sent to a registry. */
  readonly schema: string;
}

export type SubjectStatus = 'ok' | 'new' | 'incompatible';

export interface SubjectCheck {
  readonly subject: string;
  readonly status: SubjectStatus;
  /** The level checked under; undefined for a new subject checked against nothing. */
  readonly level: CompatibilityLevel | undefined;
  /** The checker's reasons, one per field and rule, when incompatible. */
  readonly messages: readonly string[];
}

export interface ContractsCheckReport {
  readonly checks: readonly SubjectCheck[];
  readonly compatible: boolean;
}

/** The registry operations the check and the registration need: `SchemaRegistryClient` or a fake. */
export type ContractsRegistry = Pick<
  SchemaRegistryClient,
  'getConfig' | 'getLatest' | 'checkCompatibility' | 'register'
>;

export type RegisteredContract =
  | { readonly subject: string; readonly status: 'registered'; readonly id: number }
  | {
      readonly subject: string;
      readonly status: 'incompatible';
      readonly messages: readonly string[];
    };

/**
 * Every value schema the domain defines: `<events>.<type>-value` for each event type and
 * `<aggregates>.<name>-value` for each aggregation, in the model's order.
 */
export function contractSchemas(
  model: DomainModel,
  prefixes: TopicPrefixes,
): readonly ContractSchema[] {
  const events = Object.entries(generateAllSchemas(model)).map(([name, schema]) => ({
    subject: valueSubject(eventTopic(prefixes, name)),
    kind: 'event' as const,
    name,
    schema: toJson(schema),
  }));
  const aggregates = Object.entries(generateAllAggregateSchemas(model)).map(([name, schema]) => ({
    subject: valueSubject(aggregateTopic(prefixes, name)),
    kind: 'aggregate' as const,
    name,
    schema: toJson(schema),
  }));
  return [...events, ...aggregates];
}

/**
 * Checks each schema against its baseline version (subject → schema text) with the pure
 * checker. A subject missing from the baseline is new.
 */
export function checkAgainstBaseline(
  schemas: readonly ContractSchema[],
  baseline: ReadonlyMap<string, string>,
  level: CompatibilityLevel,
): ContractsCheckReport {
  return report(
    schemas.map((contract) => {
      const previous = baseline.get(contract.subject);
      if (previous === undefined) return newSubject(contract);
      return checked(contract, level, checkCompatibility(contract.schema, [previous], level));
    }),
  );
}

/**
 * Asks the registry whether each schema would be accepted under its subject's configured
 * level. A subject with no version yet is new. Transitive levels are checked against every
 * version, as a registration would be.
 */
export async function checkAgainstRegistry(
  schemas: readonly ContractSchema[],
  registry: ContractsRegistry,
): Promise<ContractsCheckReport> {
  const checks: SubjectCheck[] = [];
  for (const contract of schemas) {
    if (!(await isRegistered(registry, contract.subject))) {
      checks.push(newSubject(contract));
      continue;
    }
    const level = await registry.getConfig(contract.subject);
    const target = level.endsWith('_TRANSITIVE') ? 'all' : 'latest';
    checks.push(
      checked(
        contract,
        level,
        await registry.checkCompatibility(contract.subject, contract.schema, target),
      ),
    );
  }
  return report(checks);
}

/**
 * Registers every schema (a no-op for those already registered). A schema the registry
 * refuses as incompatible (409) is reported, and the others are still registered; any other
 * failure throws.
 */
export async function registerContracts(
  schemas: readonly ContractSchema[],
  registry: Pick<ContractsRegistry, 'register'>,
): Promise<readonly RegisteredContract[]> {
  const results: RegisteredContract[] = [];
  for (const contract of schemas) {
    try {
      const id = await registry.register(contract.subject, contract.schema);
      results.push({ subject: contract.subject, status: 'registered', id });
    } catch (err) {
      if (
        !isSchemaRegistryError(err) ||
        err.errorCode !== CONFLUENT_ERROR_CODES.INCOMPATIBLE_SCHEMA
      ) {
        throw err;
      }
      results.push({
        subject: contract.subject,
        status: 'incompatible',
        messages: [err.serverMessage],
      });
    }
  }
  return results;
}

/** One line per subject, its reasons indented below it, and a summary. */
export function formatCheckReport(result: ContractsCheckReport): string[] {
  const width = Math.max(0, ...result.checks.map((c) => c.subject.length));
  const lines: string[] = [];
  for (const check of result.checks) {
    const label = check.status === 'incompatible' ? 'INCOMPATIBLE' : check.status;
    const level = check.level === undefined ? '' : `  (${check.level})`;
    lines.push(`${label.padEnd(12)}  ${check.subject.padEnd(width)}${level}`.trimEnd());
    for (const message of check.messages) lines.push(`    - ${message}`);
  }
  const count = (status: SubjectStatus): number =>
    result.checks.filter((c) => c.status === status).length;
  lines.push(
    `${result.checks.length} subjects: ${count('ok')} ok, ${count('new')} new, ${count('incompatible')} incompatible`,
  );
  return lines;
}

const BASELINE_EXTENSION = '.avsc';

/** The baseline directory as subject → schema text (`<subject>.avsc` files). */
export function readBaseline(dir: string): Map<string, string> {
  if (!existsSync(dir)) throw new Error(`baseline directory ${dir} does not exist`);
  const baseline = new Map<string, string>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(BASELINE_EXTENSION)) continue;
    baseline.set(file.slice(0, -BASELINE_EXTENSION.length), readFileSync(join(dir, file), 'utf8'));
  }
  return baseline;
}

/**
 * Writes one pretty-printed `<subject>.avsc` per schema and removes the directory's other
 * `.avsc` files, so the baseline is exactly the current contracts. Unchanged files are not
 * rewritten.
 */
export function writeBaseline(
  dir: string,
  schemas: readonly ContractSchema[],
): { readonly written: readonly string[]; readonly removed: readonly string[] } {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(schemas.map((s) => `${s.subject}${BASELINE_EXTENSION}`));
  const removed = readdirSync(dir).filter((f) => f.endsWith(BASELINE_EXTENSION) && !wanted.has(f));
  for (const file of removed) rmSync(join(dir, file));
  const written: string[] = [];
  for (const contract of schemas) {
    const file = join(dir, `${contract.subject}${BASELINE_EXTENSION}`);
    const text = `${JSON.stringify(JSON.parse(contract.schema), null, 2)}\n`;
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    writeFileSync(file, text);
    written.push(file);
  }
  return { written, removed };
}

async function isRegistered(registry: ContractsRegistry, subject: string): Promise<boolean> {
  try {
    await registry.getLatest(subject);
    return true;
  } catch (err) {
    // 40402: every version was deleted; the subject is as good as new.
    if (
      isSchemaRegistryError(err) &&
      (err.errorCode === CONFLUENT_ERROR_CODES.SUBJECT_NOT_FOUND ||
        err.errorCode === CONFLUENT_ERROR_CODES.VERSION_NOT_FOUND)
    ) {
      return false;
    }
    throw err;
  }
}

const newSubject = (contract: ContractSchema): SubjectCheck => ({
  subject: contract.subject,
  status: 'new',
  level: undefined,
  messages: [],
});

function checked(
  contract: ContractSchema,
  level: CompatibilityLevel,
  result: CompatibilityResult,
): SubjectCheck {
  return {
    subject: contract.subject,
    status: result.compatible ? 'ok' : 'incompatible',
    level,
    messages: result.compatible ? [] : result.messages,
  };
}

function report(checks: readonly SubjectCheck[]): ContractsCheckReport {
  return { checks, compatible: checks.every((c) => c.status !== 'incompatible') };
}
