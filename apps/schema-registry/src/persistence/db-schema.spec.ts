import { ConfigError } from '@platform/config';
import { DEFAULT_DB_SCHEMA, resolveDbSchema } from './db-schema';

describe(resolveDbSchema.name, () => {
  it('prefers the explicit option, then SCHEMA_REGISTRY_DB_SCHEMA, then the default', () => {
    expect(resolveDbSchema('explicit', { SCHEMA_REGISTRY_DB_SCHEMA: 'from_env' })).toBe('explicit');
    expect(resolveDbSchema(undefined, { SCHEMA_REGISTRY_DB_SCHEMA: 'from_env' })).toBe('from_env');
    expect(resolveDbSchema(undefined, { SCHEMA_REGISTRY_DB_SCHEMA: ' ' })).toBe(DEFAULT_DB_SCHEMA);
    expect(resolveDbSchema(undefined, {})).toBe('schema_registry');
    expect(resolveDbSchema(undefined, { NAMESPACE: 'run1' })).toBe('run1_schema_registry');
  });

  it('refuses a bad SCHEMA_REGISTRY_DB_SCHEMA as a config error naming the variable', () => {
    const read = (): unknown =>
      resolveDbSchema(undefined, { SCHEMA_REGISTRY_DB_SCHEMA: 'Bad-Name' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/registry settings[\s\S]*SCHEMA_REGISTRY_DB_SCHEMA="Bad-Name"/);
  });

  it.each([
    'Upper',
    'has-dash',
    'x"; drop schema public; --',
    '1starts_with_digit',
    'a'.repeat(64),
  ])('refuses %p', (name) => {
    expect(() => resolveDbSchema(name, {})).toThrow(/invalid PostgreSQL schema name/);
  });
});
