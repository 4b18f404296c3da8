import { APP_SECTIONS, readAppSection } from './app-settings';
import { deepMerge } from './deep-merge';
import type { Env } from './env-overrides';
import type { LoadedConfig } from './loader';
import { formatPath, isPlainObject, leaves } from './path';
import { MASK } from './validate';
import { NAMESPACE_ENV, SERVICE_NAME_LABELS, serviceNames, type ServiceNames } from './namespace';

export interface ExplainEntry {
  /** `kafka.client_id`, `event_types[0].name` */
  readonly path: string;
  /** The effective value, `******` for secrets. */
  readonly value: unknown;
  /** The file or variable that set it, or `default` when the schema filled it in. */
  readonly source: string;
}

export interface Explanation {
  readonly domain: string;
  readonly environment: string;
  readonly configDir: string;
  readonly files: readonly string[];
  readonly entries: readonly ExplainEntry[];
  /** `''` when the run has none. */
  readonly namespace: string;
  /**
   * Every name the run owns: the config's (topic prefixes, ClickHouse database, PostgreSQL
   * schema) and the services' own (groups, app id, registry and gateway schemas).
   */
  readonly names: readonly { readonly name: string; readonly value: string }[];
}

/**
 * Every effective leaf with its source: the validated platform sections (so schema
 * defaults show up as `default`) over the domain sections as written, then the services'
 * own sections (`gateway.port`, from `env:PORT` or `default`). Secrets are masked.
 */
export function explain(loaded: LoadedConfig, env: Env = process.env): Explanation {
  // `model` is the contracts library's derived view; explain what was written instead.
  const { model: _model, ...platform } = loaded.config;
  const effective = deepMerge(loaded.raw, platform);
  const entries = (isPlainObject(effective) ? leaves(effective) : []).map((leaf) => {
    const path = formatPath(leaf.path);
    return {
      path,
      value: loaded.secretPaths.has(path) ? MASK : leaf.value,
      source: loaded.provenance.get(path) ?? 'default',
    };
  });
  const appEntries = APP_SECTIONS.flatMap((section) => {
    const { value, sources } = readAppSection(section, env);
    return Object.entries(value).map(([key, setting]) => ({
      path: `${section.name}.${snakeCase(key)}`,
      value: setting,
      source: sources[key] ?? 'default',
    }));
  });
  const { topics, clickhouse, postgres } = loaded.config;
  const services = serviceNames({ ...env, [NAMESPACE_ENV]: loaded.namespace });
  const names = [
    ...Object.entries(topics).map(([key, value]) => ({ name: `topics.${key}`, value })),
    { name: 'clickhouse.database', value: clickhouse.database },
    { name: 'postgres.schema', value: postgres.schema },
    ...(Object.keys(SERVICE_NAME_LABELS) as (keyof ServiceNames)[]).map((key) => ({
      name: SERVICE_NAME_LABELS[key],
      value: services[key],
    })),
  ];
  return {
    domain: loaded.domain,
    environment: loaded.environment,
    configDir: loaded.configDir,
    files: loaded.files,
    entries: [...entries, ...appEntries],
    namespace: loaded.namespace,
    names,
  };
}

/** Long values (descriptions) are cut in the table so the source column stays in view. */
const MAX_VALUE_WIDTH = 48;

/** Three aligned columns: path, value, source. Use the JSON form for full values. */
export function formatExplanation(explanation: Explanation): string {
  const rows = explanation.entries.map((entry) => [
    entry.path,
    truncate(formatValue(entry.value)),
    entry.source,
  ]);
  const widths = [0, 1].map((column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length), 0),
  );
  const header = `# domain ${explanation.domain}, environment ${explanation.environment}, from ${explanation.configDir}`;
  const lines = rows.map(([path = '', value = '', source = '']) =>
    `${path.padEnd(widths[0] ?? 0)}  ${value.padEnd(widths[1] ?? 0)}  ${source}`.trimEnd(),
  );
  const nameWidth = Math.max(...explanation.names.map((entry) => entry.name.length), 0);
  const names = [
    `# names the run owns (namespace ${explanation.namespace === '' ? 'none' : explanation.namespace})`,
    ...explanation.names.map((entry) => `${entry.name.padEnd(nameWidth)}  ${entry.value}`),
  ];
  return [header, ...lines, '', ...names].join('\n');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? "''" : value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isPlainObject(value)) return '{}';
  return String(value);
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= MAX_VALUE_WIDTH ? oneLine : `${oneLine.slice(0, MAX_VALUE_WIDTH - 1)}…`;
}

/** `maxBatchEvents` → `max_batch_events`: explain spells every key as the YAML files do. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
