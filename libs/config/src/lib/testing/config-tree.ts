import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A valid platform.yaml for tests: every required key, nothing secret. */
export const PLATFORM_YAML = `
domain: shop
version: v1
environment: dev
kafka:
  brokers: [127.0.0.1:9092]
  client_id: from-platform
schema_registry:
  url: http://127.0.0.1:8081
clickhouse:
  url: http://127.0.0.1:8123
  password: ''
postgres:
  host: 127.0.0.1
  password: ''
secrets:
  backend: env
logging:
  level: info
`;

export const DOMAIN_YAML = `
domain: shop
version: v1
contract: {}
entities:
  user: { primary_key: user_id }
event_types:
  - name: page_view
    entity: user
    attributes: [page_url]
aggregations: []
`;

export interface ConfigTree {
  readonly root: string;
  readonly configDir: string;
  write(file: string, content: string): string;
  remove(): void;
}

/**
 * A throwaway `config/` under the OS temp dir holding `platform.yaml`,
 * `environments/dev.yaml` and `domains/shop.yaml`, overridable per file.
 */
export function makeConfigTree(files: Readonly<Record<string, string>> = {}): ConfigTree {
  const root = mkdtempSync(join(tmpdir(), 'platform-config-'));
  const configDir = join(root, 'config');
  const write = (file: string, content: string): string => {
    const path = join(configDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  };
  const all: Record<string, string> = {
    'platform.yaml': PLATFORM_YAML,
    'environments/dev.yaml': 'environment: dev\n',
    'domains/shop.yaml': DOMAIN_YAML,
    ...files,
  };
  for (const [file, content] of Object.entries(all)) write(file, content);
  return { root, configDir, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}
