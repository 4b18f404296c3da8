import { ConfigError } from './config.error';
import { findConfigDir, load, loadWithProvenance } from './loader';
import { DOMAIN_YAML, makeConfigTree, PLATFORM_YAML, type ConfigTree } from './testing/config-tree';

describe(loadWithProvenance.name, () => {
  let tree: ConfigTree;
  afterEach(() => tree.remove());

  const failure = async (promise: Promise<unknown>): Promise<ConfigError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected the load to fail');
  };

  describe('merge order', () => {
    it('layers platform.yaml < environment file < domain file < environment variables', async () => {
      tree = makeConfigTree({
        'environments/dev.yaml':
          'kafka:\n  client_id: from-env-file\n  default_partitions: 6\nlogging:\n  level: debug\n',
        'domains/shop.yaml': `${DOMAIN_YAML}\nkafka:\n  client_id: from-domain\n  replication_factor: 2\n`,
      });
      const loaded = await loadWithProvenance({
        configDir: tree.configDir,
        env: { PLATFORM__kafka__replication_factor: '3' },
      });
      expect(loaded.config.kafka).toMatchObject({
        brokers: ['127.0.0.1:9092'],
        client_id: 'from-domain',
        default_partitions: 6,
        replication_factor: 3,
      });
      expect(loaded.config.logging.level).toBe('debug');
      expect(Object.fromEntries(loaded.provenance)).toMatchObject({
        'kafka.brokers': 'platform.yaml',
        'kafka.default_partitions': 'environments/dev.yaml',
        'logging.level': 'environments/dev.yaml',
        'kafka.client_id': 'domains/shop.yaml',
        'kafka.replication_factor': 'env:PLATFORM__kafka__replication_factor',
      });
      expect(loaded.files).toEqual(['platform.yaml', 'environments/dev.yaml', 'domains/shop.yaml']);
    });

    it('replaces arrays from a later layer and merges maps', async () => {
      tree = makeConfigTree({
        'environments/dev.yaml':
          'kafka:\n  brokers: [b1:9092, b2:9092]\n  ssl: { ca: "-----BEGIN CERTIFICATE-----" }\n',
      });
      const loaded = await loadWithProvenance({ configDir: tree.configDir, env: {} });
      expect(loaded.config.kafka.brokers).toEqual(['b1:9092', 'b2:9092']);
      expect(loaded.config.kafka.ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----' });
      expect(loaded.config.kafka.client_id).toBe('from-platform');
      expect(loaded.provenance.get('kafka.ssl.ca')).toBe('environments/dev.yaml');
      expect(loaded.provenance.has('kafka.ssl')).toBe(false);
    });

    it('fills keys the YAML leaves out with schema defaults', async () => {
      tree = makeConfigTree();
      const config = await load({ configDir: tree.configDir, env: {} });
      expect(config.kafka).toMatchObject({
        ssl: false,
        compression: 'none',
        request_timeout_ms: 30000,
      });
      expect(config.topics).toEqual({
        events: 'events',
        aggregates: 'aggregates',
        dlq: 'dlq',
        late: 'late',
        subscriptions: 'subscriptions',
      });
      expect(config.postgres.port).toBe(5432);
      expect(config.model.eventTypes.map((type) => type.name)).toEqual(['page_view']);
    });
  });

  describe('choosing the files', () => {
    it('prefers the explicit arguments over DOMAIN and ENVIRONMENT, and those over platform.yaml', async () => {
      tree = makeConfigTree({
        'environments/test.yaml': 'environment: test\nlogging: { level: warn }\n',
        'environments/prod.yaml': 'environment: prod\nlogging: { level: error }\n',
        'domains/other.yaml': DOMAIN_YAML.replace('domain: shop', 'domain: other'),
      });
      const fromPlatform = await loadWithProvenance({ configDir: tree.configDir, env: {} });
      expect([fromPlatform.domain, fromPlatform.environment]).toEqual(['shop', 'dev']);

      const fromVariables = await loadWithProvenance({
        configDir: tree.configDir,
        env: { DOMAIN: 'other', ENVIRONMENT: 'test' },
      });
      expect([fromVariables.config.domain, fromVariables.config.environment]).toEqual([
        'other',
        'test',
      ]);
      expect(fromVariables.config.logging.level).toBe('warn');

      const fromArguments = await loadWithProvenance({
        configDir: tree.configDir,
        domain: 'shop',
        environment: 'prod',
        env: { DOMAIN: 'other', ENVIRONMENT: 'test' },
      });
      expect([fromArguments.config.domain, fromArguments.config.environment]).toEqual([
        'shop',
        'prod',
      ]);
      expect(fromArguments.config.logging.level).toBe('error');
      expect(fromArguments.provenance.get('environment')).toBe('environments/prod.yaml');
    });

    it('finds the nearest config/ directory above the working directory, or CONFIG_DIR', async () => {
      tree = makeConfigTree({ 'environments/dev.yaml': 'environment: dev\n' });
      const nested = tree.write('../apps/svc/src/.keep', '');
      expect(findConfigDir(nested.replace(/\/\.keep$/, ''))).toBe(tree.configDir);
      const viaCwd = await loadWithProvenance({ cwd: tree.root, env: {} });
      expect(viaCwd.configDir).toBe(tree.configDir);
      const viaVariable = await loadWithProvenance({
        cwd: '/',
        env: { CONFIG_DIR: tree.configDir },
      });
      expect(viaVariable.configDir).toBe(tree.configDir);
    });

    it('names the missing environment file and lists the known ones', async () => {
      tree = makeConfigTree();
      const error = await failure(
        load({ configDir: tree.configDir, environment: 'prdo', env: {} }),
      );
      expect(error.code).toBe('CONFIG_FILE_NOT_FOUND');
      expect(error.message).toBe(
        `Config file environments/prdo.yaml not found in ${tree.configDir} (known: dev)`,
      );
    });

    it('refuses a domain name that would leave the config directory', async () => {
      tree = makeConfigTree();
      const error = await failure(
        load({ configDir: tree.configDir, domain: '../../etc/passwd', env: {} }),
      );
      expect(error.code).toBe('CONFIG_BAD_NAME');
      expect(error.message).toBe(
        'Invalid domain name "../../etc/passwd": use letters, digits, "_", "-" and "." only',
      );
    });
  });

  describe('environment variables', () => {
    beforeEach(() => {
      tree = makeConfigTree();
    });

    it('sets domain, version and environment from DOMAIN, VERSION and ENVIRONMENT', async () => {
      tree.write('domains/billing.yaml', DOMAIN_YAML.replace('shop', 'billing'));
      tree.write('environments/test.yaml', 'environment: test\n');
      const loaded = await loadWithProvenance({
        configDir: tree.configDir,
        env: { DOMAIN: 'billing', VERSION: 'v7', ENVIRONMENT: 'test' },
      });
      expect(loaded.config).toMatchObject({
        domain: 'billing',
        version: 'v7',
        environment: 'test',
      });
      expect(loaded.config.model.version).toBe('v7');
      expect(loaded.provenance.get('domain')).toBe('env:DOMAIN');
      expect(loaded.provenance.get('version')).toBe('env:VERSION');
      expect(loaded.provenance.get('environment')).toBe('env:ENVIRONMENT');
    });

    it.each([
      ['kafka://k1:9092,k2:9093', ['k1:9092', 'k2:9093']],
      ['k1:9092,k2:9093', ['k1:9092', 'k2:9093']],
      ['kafka://k1:9092, kafka://k2:9093/', ['k1:9092', 'k2:9093']],
    ])('reads KAFKA_BOOTSTRAP_URI=%s into kafka.brokers', async (uri, brokers) => {
      const loaded = await loadWithProvenance({
        configDir: tree.configDir,
        env: { KAFKA_BOOTSTRAP_URI: uri },
      });
      expect(loaded.config.kafka.brokers).toEqual(brokers);
      expect(loaded.provenance.get('kafka.brokers')).toBe('env:KAFKA_BOOTSTRAP_URI');
    });

    it('parses PLATFORM__section__key values as YAML: numbers, booleans, lists, maps and text', async () => {
      const loaded = await loadWithProvenance({
        configDir: tree.configDir,
        env: {
          PLATFORM__kafka__client_id: 'from-env',
          PLATFORM__kafka__request_timeout_ms: '45000',
          PLATFORM__kafka__brokers: '[e1:9092, e2:9092]',
          PLATFORM__kafka__ssl: '{ca: "-----BEGIN CERTIFICATE-----", reject_unauthorized: false}',
          PLATFORM__postgres__port: '6543',
          PLATFORM__logging__level: 'warn',
        },
      });
      expect(loaded.config.kafka).toMatchObject({
        client_id: 'from-env',
        request_timeout_ms: 45000,
        brokers: ['e1:9092', 'e2:9092'],
        ssl: { ca: '-----BEGIN CERTIFICATE-----', reject_unauthorized: false },
      });
      expect(loaded.config.postgres.port).toBe(6543);
      expect(loaded.config.logging.level).toBe('warn');
      expect(loaded.provenance.get('kafka.client_id')).toBe('env:PLATFORM__kafka__client_id');
      expect(loaded.provenance.get('kafka.ssl.reject_unauthorized')).toBe(
        'env:PLATFORM__kafka__ssl',
      );
    });

    it('refuses a file path for a certificate, and a certificate without its key, naming each key and its source', async () => {
      const error = await loadWithProvenance({
        configDir: tree.configDir,
        env: {
          PLATFORM__postgres__ssl__ca: '/etc/ssl/db-ca.pem',
          PLATFORM__kafka__ssl__cert: '-----BEGIN CERTIFICATE-----',
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        expect.objectContaining({
          path: ['kafka', 'ssl', 'key'],
          message: 'required with kafka.ssl.cert',
        }),
        expect.objectContaining({
          path: ['postgres', 'ssl', 'ca'],
          source: 'env:PLATFORM__postgres__ssl__ca',
          message: expect.stringMatching(/^must hold PEM contents/),
        }),
      ]);
    });

    it('refuses clickhouse.ssl beside an http:// url, and takes it beside https://', async () => {
      const ssl = '{ca: "-----BEGIN CERTIFICATE-----"}';
      const error = await loadWithProvenance({
        configDir: tree.configDir,
        env: { PLATFORM__clickhouse__url: 'http://ch:8123', PLATFORM__clickhouse__ssl: ssl },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        expect.objectContaining({
          path: ['clickhouse', 'ssl'],
          message: 'needs an https:// clickhouse.url (the url chooses TLS)',
        }),
      ]);
      const config = await load({
        configDir: tree.configDir,
        env: { PLATFORM__clickhouse__url: 'https://ch:8443', PLATFORM__clickhouse__ssl: ssl },
      });
      expect(config.clickhouse.ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----' });
    });

    it('lets PLATFORM__kafka__brokers win over KAFKA_BOOTSTRAP_URI', async () => {
      const config = await load({
        configDir: tree.configDir,
        env: { KAFKA_BOOTSTRAP_URI: 'a:1', PLATFORM__kafka__brokers: '[b:2]' },
      });
      expect(config.kafka.brokers).toEqual(['b:2']);
    });

    it('reports a PLATFORM__ variable with an empty path segment', async () => {
      const error = await failure(
        load({ configDir: tree.configDir, env: { PLATFORM__kafka____x: '1' } }),
      );
      expect(error.message).toBe(
        'Invalid configuration:\n  - environment variable PLATFORM__kafka____x has an empty path segment (use PLATFORM__section__key)',
      );
    });
  });

  describe('errors', () => {
    it('reports a malformed YAML file with its name, line, column and the reason', async () => {
      tree = makeConfigTree({
        'environments/dev.yaml': 'environment: dev\nkafka:\n  brokers: [a:1\n  client_id: x: y\n',
      });
      const error = await failure(load({ configDir: tree.configDir, env: {} }));
      expect(error.code).toBe('CONFIG_YAML_MALFORMED');
      expect(error.message).toBe(
        'Malformed YAML in environments/dev.yaml at line 4, column 3: Flow sequence in block collection must be sufficiently indented and end with a ]',
      );
      expect(error.issues).toEqual([
        expect.objectContaining({ source: 'environments/dev.yaml', line: 4, column: 3 }),
      ]);
    });

    it('reports a YAML file whose top level is not a mapping', async () => {
      tree = makeConfigTree({ 'environments/dev.yaml': '- just\n- a list\n' });
      const error = await failure(load({ configDir: tree.configDir, env: {} }));
      expect(error.message).toBe(
        'Malformed YAML in environments/dev.yaml: the top level must be a mapping of keys to values',
      );
    });

    it('refuses a topic prefix Kafka would refuse, or too long for its topics to fit', async () => {
      tree = makeConfigTree({});
      for (const [events, namespace] of [
        ['my events', ''],
        ['e'.repeat(151), ''],
        ['e'.repeat(140), 'tenant_with_a_long_name'],
      ] as const) {
        const env = { PLATFORM__topics__events: events, NAMESPACE: namespace };
        const error = await failure(load({ configDir: tree.configDir, env }));
        expect(error.issues).toEqual([
          expect.objectContaining({
            path: ['topics', 'events'],
            message:
              'must be a topic-name prefix: letters, digits, ".", "_" and "-", at most 150 characters with the namespace',
          }),
        ]);
      }
      const config = await load({
        configDir: tree.configDir,
        env: { PLATFORM__topics__events: 'e'.repeat(150) },
      });
      expect(config.topics.events).toHaveLength(150);
    });

    it('names the file, the key and the reason for a bad value', async () => {
      tree = makeConfigTree({ 'environments/dev.yaml': 'kafka:\n  brokers: [localhost]\n' });
      const error = await failure(load({ configDir: tree.configDir, env: {} }));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toBe(
        'Invalid configuration:\n  - kafka.brokers (environments/dev.yaml): expected an array of host:port strings',
      );
      expect(error.issues).toEqual([
        {
          path: ['kafka', 'brokers'],
          source: 'environments/dev.yaml',
          message: 'expected an array of host:port strings',
        },
      ]);
    });

    it('lists every bad key at once: types, enums, ranges, unknown keys, cross-field rules and the domain model', async () => {
      tree = makeConfigTree({
        'environments/dev.yaml': [
          'kafak: {}',
          'kafka:',
          '  compression: zstd',
          '  default_partitions: 0',
          '  connection_timeout_ms: 60000',
          '  replication_factor: 1.5',
          'postgres:',
          '  port: "5432"',
          '  hots: db',
          'secrets:',
          '  backend: file',
        ].join('\n'),
        'domains/shop.yaml': DOMAIN_YAML.replace('entity: user', 'entity: usr'),
      });
      const error = await failure(
        load({ configDir: tree.configDir, env: { PLATFORM__logging__level: 'loud' } }),
      );
      expect(error.message).toBe(
        [
          'Invalid configuration:',
          '  - kafka.compression (environments/dev.yaml): expected one of "none", "gzip"',
          '  - kafka.default_partitions (environments/dev.yaml): must be >= 1',
          '  - kafka.replication_factor (environments/dev.yaml): expected an integer, got a fraction',
          '  - postgres.port (environments/dev.yaml): expected a number, got a string',
          '  - postgres.hots (environments/dev.yaml): unknown key',
          '  - logging.level (env:PLATFORM__logging__level): expected one of "debug", "info", "warn", "error"',
          '  - kafak (environments/dev.yaml): unknown key (did you mean "kafka"?)',
          '  - secrets.file.path: required when secrets.backend is "file"',
          '  - kafka.connection_timeout_ms (environments/dev.yaml): must not exceed kafka.request_timeout_ms',
          '  - event_types[0].entity (domains/shop.yaml): unknown entity "usr"; declared: user',
        ].join('\n'),
      );
      expect(error.issues).toHaveLength(10);
    });

    it('reports a required key that no layer sets, without a file', async () => {
      tree = makeConfigTree({
        'platform.yaml': PLATFORM_YAML.replace("  password: ''\nsecrets", 'secrets'),
      });
      const error = await failure(load({ configDir: tree.configDir, env: {} }));
      expect(error.message).toBe('Invalid configuration:\n  - postgres.password: required');
    });
  });
});
