import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './config.error';
import { isPlainObject, type PlainObject } from './path';

/**
 * Read one YAML layer. `source` is the name used in messages (relative to the config dir).
 * Syntax errors report file, line, column and the parser's reason, but not the source
 * excerpt the parser would print: the offending line may hold a credential.
 */
export function readYamlFile(absolutePath: string, source: string): PlainObject {
  return parseYamlText(readFileSync(absolutePath, 'utf8'), source);
}

export function parseYamlText(text: string, source: string): PlainObject {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = document.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new ConfigError(
      'CONFIG_YAML_MALFORMED',
      `Malformed YAML in ${source} at line ${line}, column ${col}: ${first.message}`,
      [{ path: [], source, line, column: col, message: first.message }],
    );
  }
  let value: unknown;
  try {
    // Aliases beyond 100 are refused by the parser (an alias bomb).
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw malformed(source, error instanceof Error ? error.message : String(error));
  }
  // An anchor holding an alias to itself makes a value that contains itself: every walk
  // over the config would recurse without end.
  if (containsItself(value)) throw malformed(source, 'an alias refers to a value that holds it');
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    const message = 'the top level must be a mapping of keys to values';
    throw new ConfigError('CONFIG_YAML_MALFORMED', `Malformed YAML in ${source}: ${message}`, [
      { path: [], source, message },
    ]);
  }
  return value;
}

function malformed(source: string, message: string): ConfigError {
  return new ConfigError('CONFIG_YAML_MALFORMED', `Malformed YAML in ${source}: ${message}`, [
    { path: [], source, message },
  ]);
}

/** Whether `value` holds itself, through any chain of objects and arrays. */
function containsItself(value: unknown, ancestors: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) if (containsItself(child, ancestors)) return true;
  ancestors.delete(value);
  return false;
}
