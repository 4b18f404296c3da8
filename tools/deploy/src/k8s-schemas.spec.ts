import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { appNames, REPO_ROOT } from './build-service';
import {
  describeObject,
  renderKustomization,
  validateObjects,
  validateSchema,
  vendoredSchemas,
  type K8sObject,
} from './k8s-schemas';
import {
  KAFKA_CLUSTER,
  plannedTopics,
  productionConfig,
  serviceAcls,
  strimziResources,
} from './kafka-topics';

/**
 * Every object of every overlay, rendered by `kubectl kustomize`, against the Kubernetes
 * schemas and the CRDs of the operators it uses (strict: unknown fields fail); and what the
 * production overlays promise: KEDA within the partitions, NetworkPolicies, securityContext,
 * topology spread, secrets from External Secrets, Strimzi users and topics.
 */
type Doc = Record<string, unknown>;
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
};
type Container = {
  name: string;
  env?: EnvVar[];
  securityContext?: Doc;
};
type PodSpec = {
  securityContext?: Doc;
  topologySpreadConstraints?: Doc[];
  initContainers?: Container[];
  containers: Container[];
};

// Each strictness case type-checks against the models (a TypeScript program, about a second).
jest.setTimeout(60_000);

const OVERLAYS = ['dev', 'prod', 'strimzi'] as const;
const APPS = appNames();
const rendered = Object.fromEntries(
  OVERLAYS.map((o) => [o, renderKustomization(`k8s/overlays/${o}`)]),
) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

const ofKind = (docs: K8sObject[], kind: string): K8sObject[] =>
  docs.filter((d) => d.kind === kind);
const named = (docs: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  docs.find((d) => d.kind === kind && d.metadata?.name === name);
const podOf = (deployment: K8sObject): PodSpec =>
  ((deployment['spec'] as Doc)['template'] as Doc)['spec'] as PodSpec;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe.each(OVERLAYS)('k8s/overlays/%s against the schemas', (overlay) => {
  const docs = rendered[overlay];
  const results = validateObjects(docs);

  it('renders', () => {
    expect(docs.length).toBeGreaterThan(10);
  });

  it('every object validates against its schema, unknown fields included', () => {
    const failures = results
      .filter((r) => r.errors.length > 0)
      .map((r) => `${describeObject(r.object)} [${r.against}]: ${r.errors.join('; ')}`);
    expect(failures).toEqual([]);
  });

  it('custom resources are checked against their CRDs or models', () => {
    const against = Object.fromEntries(results.map((r) => [r.object.kind, r.against]));
    if (overlay !== 'dev') {
      expect(against['ScaledObject']).toBe('models');
      expect(against['ServiceMonitor']).toBe('models');
      expect(against['ExternalSecret']).toBe('models');
    }
    if (overlay === 'strimzi') {
      expect(against['KafkaTopic']).toBe('crd:kafka.strimzi.io/v1beta2/KafkaTopic');
      expect(against['KafkaUser']).toBe('crd:kafka.strimzi.io/v1beta2/KafkaUser');
      expect(against['ClickHouseInstallation']).toBe(
        'crd:clickhouse.altinity.com/v1/ClickHouseInstallation',
      );
      expect(against['TriggerAuthentication']).toBe('models');
    }
  });
});

describe('k8s/examples', () => {
  it.each(readdirSync(join(REPO_ROOT, 'k8s/examples')))(
    '%s validates against its schema',
    (file) => {
      const objects = parseAllDocuments(readFileSync(join(REPO_ROOT, 'k8s/examples', file), 'utf8'))
        .map((d) => d.toJS() as K8sObject)
        .filter((d) => d !== null);
      expect(objects.length).toBeGreaterThan(0);
      const results = validateObjects(objects);
      expect(results.map((r) => [describeObject(r.object), r.against, r.errors])).toEqual(
        objects.map((o) => [describeObject(o), 'models', []]),
      );
    },
  );

  it('the Vault store is the one the prod ExternalSecret reads', () => {
    const [external] = ofKind(rendered.prod, 'ExternalSecret');
    expect((external?.['spec'] as Doc)['secretStoreRef']).toEqual({
      kind: 'ClusterSecretStore',
      name: 'platform-secrets',
    });
  });
});

describe('the validation is strict', () => {
  const prod = rendered.prod;
  const strimzi = rendered.strimzi;
  const errorsOf = (o: K8sObject): readonly string[] => validateObjects([o])[0]?.errors ?? [];

  it('refuses a misspelled field of a Deployment container', () => {
    const deployment = clone(named(prod, 'Deployment', 'sink-writer') as K8sObject);
    const container = podOf(deployment).containers[0] as unknown as Doc;
    container['imagePullPolicyy'] = 'Always';
    expect(errorsOf(deployment).join('\n')).toMatch(/imagePullPolicyy/);
  });

  it('refuses a misspelled field of a KEDA ScaledObject', () => {
    const scaled = clone(named(prod, 'ScaledObject', 'aggregator') as K8sObject);
    (scaled['spec'] as Doc)['maxReplicaCont'] = 3;
    expect(errorsOf(scaled).join('\n')).toMatch(/maxReplicaCont/);
  });

  it('refuses a misspelled field of a ServiceMonitor endpoint and a wrong type', () => {
    const monitor = clone(ofKind(prod, 'ServiceMonitor')[0] as K8sObject);
    const endpoint = ((monitor['spec'] as Doc)['endpoints'] as Doc[])[0] as Doc;
    endpoint['pth'] = '/metrics';
    expect(errorsOf(monitor).join('\n')).toMatch(/pth/);
    const scaled = clone(named(prod, 'ScaledObject', 'aggregator') as K8sObject);
    (scaled['spec'] as Doc)['maxReplicaCount'] = 'three';
    expect(errorsOf(scaled).length).toBeGreaterThan(0);
  });

  it('refuses a misspelled field of a KafkaTopic and of a KafkaUser ACL (vendored CRDs)', () => {
    const topic = clone(ofKind(strimzi, 'KafkaTopic')[0] as K8sObject);
    (topic['spec'] as Doc)['partiton'] = 3;
    expect(errorsOf(topic)).toEqual(['/spec/partiton: unknown field "partiton"']);
    const user = clone(named(strimzi, 'KafkaUser', 'aggregator') as K8sObject);
    const acl = (((user['spec'] as Doc)['authorization'] as Doc)['acls'] as Doc[])[0] as Doc;
    acl['operation'] = 'Read';
    (acl['resource'] as Doc)['type'] = 'topics';
    expect(errorsOf(user)).toEqual([
      '/spec/authorization/acls/0/resource/type: "topics" is not one of ["topic","group","cluster","transactionalId"]',
      '/spec/authorization/acls/0/operation: unknown field "operation"',
    ]);
  });

  it('keeps what a CRD keeps (x-kubernetes-preserve-unknown-fields): topic configs', () => {
    const schema = vendoredSchemas().get('kafka.strimzi.io/v1beta2/KafkaTopic');
    expect(
      validateSchema(
        { spec: { config: { 'retention.ms': '604800000', 'any.key': 'x' } } },
        schema as object,
      ),
    ).toEqual([]);
  });

  it('refuses a kind no schema covers', () => {
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(errorsOf(unknown)).toEqual([
      'no schema for example.com/v1/Widget: vendor its CRD in tools/deploy/crds',
    ]);
  });
});

describe('pods', () => {
  describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
    const deployments = ofKind(rendered[overlay], 'Deployment');

    it('every pod runs as non-root with RuntimeDefault seccomp, every container without privilege escalation or capabilities', () => {
      for (const deployment of deployments) {
        const pod = podOf(deployment);
        const where = deployment.metadata?.name;
        expect({ where, ...pod.securityContext }).toMatchObject({
          where,
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          expect({ where: `${where}/${c.name}`, ...c.securityContext }).toMatchObject({
            where: `${where}/${c.name}`,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
        }
      }
    });

    it.each(APPS)('%s spreads its replicas over zones and nodes', (app) => {
      const pod = podOf(named(rendered[overlay], 'Deployment', app) as K8sObject);
      expect(pod.topologySpreadConstraints?.map((t) => t['topologyKey'])).toEqual([
        'topology.kubernetes.io/zone',
        'kubernetes.io/hostname',
      ]);
    });
  });
});

describe.each(['prod', 'strimzi'] as const)('k8s/overlays/%s', (overlay) => {
  const docs = rendered[overlay];

  it('KEDA scales the sink-writer and the aggregator on lag, never beyond the partitions; the gateway keeps its HPA', async () => {
    const config = await productionConfig();
    const partitions = Math.min(
      ...plannedTopics(config)
        .filter((t) => t.name.startsWith(`${config.topics.events}.`))
        .map((t) => t.partitions),
    );
    const scaled = ofKind(docs, 'ScaledObject');
    expect(scaled.map((s) => s.metadata?.name).sort()).toEqual(['aggregator', 'sink-writer']);
    for (const s of scaled) {
      const spec = s['spec'] as Doc;
      expect(spec['maxReplicaCount']).toBeLessThanOrEqual(partitions);
      const [trigger] = spec['triggers'] as Doc[];
      expect(trigger?.['type']).toBe('kafka');
      // No HPA of our own beside KEDA's, and no fixed replicas.
      expect(named(docs, 'HorizontalPodAutoscaler', s.metadata?.name as string)).toBeUndefined();
      const deployment = named(docs, 'Deployment', s.metadata?.name as string) as K8sObject;
      expect((deployment['spec'] as Doc)['replicas']).toBeUndefined();
    }
    expect(ofKind(docs, 'HorizontalPodAutoscaler').map((h) => h.metadata?.name)).toEqual([
      'ingestion-gateway',
    ]);
  });

  it('NetworkPolicies select every service; only the gateway takes traffic from anywhere', () => {
    const policies = ofKind(docs, 'NetworkPolicy');
    const perApp = (app: string) =>
      policies.filter(
        (p) =>
          (((p['spec'] as Doc)['podSelector'] as Doc)['matchLabels'] as Doc | undefined)?.[
            'app.kubernetes.io/name'
          ] === app,
      );
    for (const app of APPS) expect(perApp(app)).toHaveLength(1);
    const open = policies.filter((p) =>
      (((p['spec'] as Doc)['ingress'] as Doc[] | undefined) ?? []).some(
        (rule) => !('from' in rule),
      ),
    );
    expect(open.map((p) => p.metadata?.name)).toEqual(['ingestion-gateway']);
    const deny = named(docs, 'NetworkPolicy', 'default-deny') as K8sObject;
    expect((deny['spec'] as Doc)['policyTypes']).toEqual(['Ingress', 'Egress']);
  });

  it('a ServiceMonitor scrapes /metrics on the http port of every service', () => {
    const [monitor] = ofKind(docs, 'ServiceMonitor');
    const spec = monitor?.['spec'] as Doc;
    expect(spec['endpoints']).toEqual([
      expect.objectContaining({ port: 'http', path: '/metrics' }),
    ]);
    const values = ((spec['selector'] as Doc)['matchExpressions'] as Doc[])[0]?.['values'];
    expect([...(values as string[])].sort()).toEqual([...APPS].sort());
  });

  it('passwords come from an ExternalSecret through required secretKeyRefs; no static Vault token', () => {
    const created = new Set([
      ...ofKind(docs, 'ExternalSecret').map(
        (e) => ((e['spec'] as Doc)['target'] as Doc)['name'] as string,
      ),
      // The User Operator writes one Secret per KafkaUser.
      ...ofKind(docs, 'KafkaUser').map((u) => u.metadata?.name as string),
    ]);
    const text = JSON.stringify(docs);
    expect(text).not.toContain('VAULT_TOKEN');
    for (const deployment of ofKind(docs, 'Deployment')) {
      const pod = podOf(deployment);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const name of ['POSTGRES_PASSWORD', 'CLICKHOUSE_PASSWORD']) {
          const ref = c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
          expect({ container: `${deployment.metadata?.name}/${c.name}`, name, ref }).toEqual({
            container: `${deployment.metadata?.name}/${c.name}`,
            name,
            ref: { name: 'platform-secrets', key: name },
          });
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref === undefined) continue;
          expect(ref.optional).toBeUndefined();
          expect(created).toContain(ref.name);
        }
      }
    }
    const configMap = ofKind(docs, 'ConfigMap')[0] as K8sObject;
    expect((configMap['data'] as Doc)['PLATFORM__secrets__backend']).toBe('env');
  });
});

describe('k8s/overlays/strimzi', () => {
  const docs = rendered.strimzi;
  const env = (ofKind(docs, 'ConfigMap')[0] as K8sObject)['data'] as Record<string, string>;

  it('every variable it adds is a documented config variable or key (libs/config/README.md)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'libs/config/README.md'), 'utf8');
    const names = [
      ...Object.keys(env),
      ...ofKind(docs, 'Deployment').flatMap((d) =>
        podOf(d).containers.flatMap((c) => (c.env ?? []).map((e) => e.name)),
      ),
    ];
    const undocumented = names.filter((name) => {
      if (name.startsWith('PLATFORM__')) {
        const path = name.slice('PLATFORM__'.length).split('__');
        // `kafka.sasl`, `kafka.ssl`, `clickhouse.url`…: the key or the map that holds it,
        // or a row of the section listing it (`clickhouse.database` / `username`).
        const keyed = [2, path.length].some((n) =>
          readme.includes(`\`${path.slice(0, n).join('.')}\``),
        );
        const listed = readme
          .split('\n')
          .some((l) => l.includes(`\`${path[0]}.`) && l.includes(`\`${path[path.length - 1]}\``));
        return !keyed && !listed;
      }
      return !readme.includes(`\`${name}\``) && !['PORT', 'HOST'].includes(name);
    });
    expect(
      undocumented.filter(
        // An app's own variables (and a Deployment's V8 flags) are documented in its README,
        // which the k8s/base tests check.
        (n) =>
          !/^[A-Z_]+_PASSWORD$|^GATEWAY_|^AGGREGATOR_|^SINK_WRITER_|^GENERATOR_|^NODE_OPTIONS$/.test(
            n,
          ),
      ),
    ).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['KAFKA_CREATE_TOPICS', 'CLICKHOUSE_CLUSTER']));
  });

  it('its KafkaTopics and KafkaUsers are the generator output (npm run deploy:topics)', async () => {
    for (const [file, objects] of Object.entries(await strimziResources())) {
      const committed = parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'))
        .map((d) => d.toJS() as unknown)
        .filter((d) => d !== null);
      expect({ file, objects: committed }).toEqual({ file, objects });
    }
  });

  it('the services create no topic and find Kafka at <cluster>-kafka-bootstrap of the KafkaTopics cluster', () => {
    expect(env['KAFKA_CREATE_TOPICS']).toBe('false');
    expect(env['KAFKA_BOOTSTRAP_URI']).toBe(`${KAFKA_CLUSTER}-kafka-bootstrap.kafka.svc:9093`);
    for (const kind of ['KafkaTopic', 'KafkaUser']) {
      for (const o of ofKind(docs, kind)) {
        expect(o.metadata?.labels?.['strimzi.io/cluster']).toBe(KAFKA_CLUSTER);
      }
    }
  });

  it('every Kafka client authenticates as its own KafkaUser over TLS with the cluster CA', () => {
    const users = ofKind(docs, 'KafkaUser').map((u) => u.metadata?.name);
    for (const app of ['ingestion-gateway', 'aggregator', 'sink-writer', 'generator']) {
      const container = podOf(named(docs, 'Deployment', app) as K8sObject)
        .containers[0] as Container;
      const byName = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
      expect(byName['PLATFORM__kafka__sasl__mechanism']?.value).toBe('scram-sha-512');
      expect(byName['PLATFORM__kafka__sasl__username']?.value).toBe(app);
      expect(users).toContain(app);
      expect(byName['PLATFORM__kafka__sasl__password']?.valueFrom?.secretKeyRef).toEqual({
        name: app,
        key: 'password',
      });
      expect(byName['PLATFORM__kafka__ssl__ca']?.valueFrom?.secretKeyRef).toEqual({
        name: 'kafka-cluster-ca',
        key: 'ca.crt',
      });
    }
  });

  it("the aggregator's user may write transactionally under its transactional id prefix; no user may create topics but the gateway's subscriptions", async () => {
    const acls = serviceAcls(await productionConfig());
    expect(acls['aggregator']).toContainEqual({
      resource: { type: 'transactionalId', name: 'aggregator-', patternType: 'prefix' },
      operations: ['Write', 'Describe'],
    });
    for (const [service, list] of Object.entries(acls)) {
      const creating = list.filter((a) => a.operations.includes('Create'));
      expect({ service, creating: creating.map((a) => a.resource.name) }).toEqual({
        service,
        creating: service === 'ingestion-gateway' ? ['subscriptions.'] : [],
      });
    }
  });

  it('ClickHouse: the operator service, a dedicated user, the cluster for ON CLUSTER DDL', () => {
    const chi = named(docs, 'ClickHouseInstallation', 'platform') as K8sObject;
    const configuration = (chi['spec'] as Doc)['configuration'] as Doc;
    const [cluster] = configuration['clusters'] as Doc[];
    expect(env['CLICKHOUSE_CLUSTER']).toBe(cluster?.['name']);
    expect(env['PLATFORM__clickhouse__url']).toBe(`http://clickhouse-${chi.metadata?.name}:8123`);
    expect(env['PLATFORM__clickhouse__username']).toBe('platform');
    expect((configuration['users'] as Doc)['platform/k8s_secret_password']).toBe(
      'platform-secrets/CLICKHOUSE_PASSWORD',
    );
  });
});
