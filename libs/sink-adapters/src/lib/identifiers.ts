import { SinkError } from './sink.error';

/**
 * The identifiers every backend accepts unquoted and that need no escaping once quoted:
 * a letter or underscore, then letters, digits or underscores, at most 63 characters
 * (PostgreSQL's limit). Table and column names come from the domain contract, which uses
 * the same alphabet.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Throws a non-retriable `INVALID_IDENTIFIER` SinkError unless `name` is a safe identifier. */
export function assertIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || !isIdentifier(name)) {
    throw new SinkError(
      'INVALID_IDENTIFIER',
      `${what} ${JSON.stringify(name)} is not a valid identifier (letters, digits and _, starting with a letter or _, at most 63 characters)`,
    );
  }
  return name;
}
