import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { appNames, entryPoints, REPO_ROOT } from './build-service';

/**
 * Keeps docker/ and k8s/ honest without Docker or a cluster: every manifest parses, every
 * app has an image and a Deployment whose ports and probes are the ones its server
 * listens on, every variable handed to an app is documented, and the overlays only refer
 * to what the base defines.
 */
type Doc = Record<string, unknown>;
type Container = {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type Probe = { httpGet?: { path: string; port: string | number } };
type PodSpec = {
  terminationGracePeriodSeconds?: number;
  initContainers?: Container[];
  containers: Container[];
};
type Kustomization = {
  resources?: string[];
  images?: { name: string }[];
  replicas?: { name: string }[];
  configMapGenerator?: { name: string; literals?: string[] }[];
  secretGenerator?: { name: string; literals?: string[] }[];
  patches?: { target?: { kind?: string; name?: string }; patch?: string }[];
};

const APPS = appNames();
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const IMAGE = (app: string): string => `streaming-platform/${app}`;
/** The drain in libs/observability: 25 s of in-flight work, then a forced exit 10 s later. */
const DEFAULT_DRAIN_MS = 25_000;
const FORCED_EXIT_MARGIN_MS = 10_000;

function yamlFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(REPO_ROOT, path)).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function docsOf(path: string): Doc[] {
  return parseAllDocuments(read(path)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Doc;
  });
}

function kustomization(dir: string): Kustomization {
  return parse(read(join(dir, 'kustomization.yaml'))) as Kustomization;
}

/** Every resource of a kustomization directory, following directories it includes. */
function resourcesOf(dir: string): Doc[] {
  return (kustomization(dir).resources ?? []).flatMap((entry) => {
    const path = join(dir, entry);
    return existsSync(join(REPO_ROOT, path, 'kustomization.yaml'))
      ? resourcesOf(path)
      : docsOf(path);
  });
}

const named = (docs: Doc[], kind: string, name: string): Doc | undefined =>
  docs.find((d) => d['kind'] === kind && (d['metadata'] as Doc)['name'] === name);

function podSpec(deployment: Doc): PodSpec {
  return ((deployment['spec'] as Doc)['template'] as Doc)['spec'] as PodSpec;
}

/** Upper-case names in backticks: how every README's configuration table lists variables. */
function documentedNames(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string));
}

/** The default PORT of an app, from the `PORT` row of its README. */
function readmePort(app: string): number {
  const row = read(`apps/${app}/README.md`)
    .split('\n')
    .find((line) => line.startsWith('|') && line.includes('`PORT`'));
  const port = row?.slice(row.indexOf('`PORT`')).match(/\b(\d{4,5})\b/)?.[1];
  if (port === undefined) throw new Error(`apps/${app}/README.md documents no PORT default`);
  return Number(port);
}

const PLATFORM_VARS = new Set([
  ...documentedNames(read('libs/config/README.md')),
  ...documentedNames(read('libs/observability/README.md')),
  // `${secret:NAME}` in the config files reads the variable NAME (secrets.backend env).
  ...yamlFiles('config').flatMap((file) =>
    [...read(file).matchAll(/\$\{secret:([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string),
  ),
]);
const PLATFORM_DEFAULTS = parse(read('config/platform.yaml')) as Doc;

/** Why `name` is not a variable `app` reads, or undefined when it is one. */
function undocumented(app: string, name: string): string | undefined {
  if (name.startsWith('PLATFORM__')) {
    const path = name.slice('PLATFORM__'.length).split('__');
    let node: unknown = PLATFORM_DEFAULTS;
    for (const key of path) {
      if (node === null || typeof node !== 'object' || !(key in node)) {
        return `${name}: config/platform.yaml has no key ${path.join('.')}`;
      }
      node = (node as Doc)[key];
    }
    return undefined;
  }
  if (PLATFORM_VARS.has(name) || documentedNames(read(`apps/${app}/README.md`)).has(name)) {
    return undefined;
  }
  return `${name}: not in apps/${app}/README.md, libs/config or libs/observability`;
}

/** Whether a kustomization patch's target selects the resource of `kind` named `name`. */
const selects = (
  target: { kind?: string; name?: string } | undefined,
  kind: string,
  name: string,
): boolean =>
  (target?.kind === undefined || target.kind === kind) &&
  (target?.name === undefined || new RegExp(`^(${target.name})$`).test(name));

const literalNames = (literals: string[] | undefined): string[] =>
  (literals ?? []).map((literal) => literal.slice(0, literal.indexOf('=')));

describe('YAML', () => {
  it.each([...yamlFiles('k8s'), 'docker/compose.yaml'])('%s parses', (file) => {
    expect(docsOf(file).length).toBeGreaterThan(0);
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = read('docker/Dockerfile');
  const ignore = read('.dockerignore');

  it('builds any app from the APP argument, through tools/deploy, to dist/service/main.js', () => {
    expect(dockerfile).toMatch(/^ARG APP$/m);
    expect(dockerfile).toContain('tools/deploy/src/build-service.ts "$APP" /build/tsc');
    expect(dockerfile).toContain('tools/deploy/src/bundle-service.ts /build/tsc dist');
    expect(dockerfile).toContain('CMD ["dist/service/main.js"]');
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });

  it("installs the npm of package.json's packageManager before npm ci", () => {
    const pkg = JSON.parse(read('package.json')) as { packageManager?: string };
    const version = pkg.packageManager?.match(/^npm@(\d+\.\d+\.\d+)$/)?.[1];
    expect(version).toBeDefined();
    expect(dockerfile).toContain(`ARG NPM_VERSION=${version}`);
    const install = dockerfile.indexOf('npm install -g "npm@${NPM_VERSION}"');
    expect(install).toBeGreaterThan(0);
    expect(install).toBeLessThan(dockerfile.indexOf('RUN npm ci'));
  });

  it('ships no node_modules, compiler or test tooling in the runtime stage', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).not.toMatch(/node_modules \.\/node_modules|npm ci|npm install/);
    expect(runtime).toContain('COPY --from=build /build/dist ./dist');
    expect(runtime).toMatch(/rm -rf \/usr\/local\/lib\/node_modules/);
  });

  it.each(APPS)('%s has a main.ts entry point to build', (app) => {
    expect(entryPoints(app)).toContain(`apps/${app}/src/main.ts`);
  });

  it('copies only what .dockerignore lets into the build context', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      (m[1] as string).split(' '),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(ignore).toMatch(new RegExp(`^!${source.replace(/\./g, '\\.')}/?$`, 'm'));
    }
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(read('docker/compose.yaml'), { merge: true }) as {
    services: Record<string, Doc>;
  };

  it.each(APPS)('%s is built from the Dockerfile, on its port, with a /readyz check', (app) => {
    const service = compose.services[app] as Doc;
    expect(service).toBeDefined();
    const build = service['build'] as Doc;
    expect(build['dockerfile']).toBe('docker/Dockerfile');
    expect((build['args'] as Doc)['APP']).toBe(app);
    const env = service['environment'] as Record<string, unknown>;
    const port = readmePort(app);
    expect(Number(env['PORT'])).toBe(port);
    expect((service['healthcheck'] as Doc)['test']).toEqual(
      expect.arrayContaining([expect.stringContaining(`127.0.0.1:${port}/readyz`)]),
    );
    for (const name of Object.keys(env)) expect(undocumented(app, name)).toBeUndefined();
    for (const dependency of Object.keys((service['depends_on'] as Doc | undefined) ?? {})) {
      expect(Object.keys(compose.services)).toContain(dependency);
    }
  });
});

describe('docker/compose.yaml: restarts, stops and health checks', () => {
  const compose = parse(read('docker/compose.yaml'), { merge: true }) as {
    services: Record<string, Doc>;
  };
  const seconds = (value: unknown): number => {
    const m = String(value).match(/^(\d+)s$/);
    if (m === null) throw new Error(`not a duration in seconds: ${String(value)}`);
    return Number(m[1]);
  };

  it.each(Object.keys(compose.services))('%s restarts unless stopped', (name) => {
    expect(compose.services[name]?.['restart']).toBe('unless-stopped');
  });

  it.each(APPS)('%s: the stop grace period covers the drain and the forced exit', (app) => {
    const grace = seconds(compose.services[app]?.['stop_grace_period']) * 1000;
    expect(grace).toBeGreaterThan(DEFAULT_DRAIN_MS + FORCED_EXIT_MARGIN_MS - 1);
  });

  it.each(APPS)(
    '%s: the health check runs with node, which the image has (no curl, no wget)',
    (app) => {
      const test = (compose.services[app]?.['healthcheck'] as Doc)['test'] as string[];
      expect(test.slice(0, 2)).toEqual(['CMD', 'node']);
      expect(test.join(' ')).not.toMatch(/curl|wget/);
    },
  );

  it('infrastructure health checks use the tools of their own images', () => {
    const tests = Object.fromEntries(
      ['kafka', 'clickhouse', 'postgres'].map((s) => [
        s,
        ((compose.services[s]?.['healthcheck'] as Doc)['test'] as string[]).join(' '),
      ]),
    );
    expect(tests['kafka']).toContain('/opt/kafka/bin/kafka-broker-api-versions.sh');
    expect(tests['clickhouse']).toMatch(/^CMD clickhouse client/);
    expect(tests['postgres']).toMatch(/^CMD pg_isready/);
  });
});

describe('k8s/base', () => {
  const docs = resourcesOf('k8s/base');
  const base = kustomization('k8s/base');

  it.each(APPS)('%s: Deployment on its PORT, probes on its health endpoints', (app) => {
    const deployment = named(docs, 'Deployment', app);
    expect(deployment).toBeDefined();
    const pod = podSpec(deployment as Doc);
    const container = pod.containers.find((c) => c.name === app) as Container;
    expect(container.image).toBe(IMAGE(app));

    const port = readmePort(app);
    expect(container.env).toContainEqual({ name: 'PORT', value: String(port) });
    expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });

    const service = named(docs, 'Service', app) as Doc;
    expect((service['spec'] as Doc)['ports']).toEqual([{ name: 'http', port, targetPort: 'http' }]);
    expect(named(docs, 'PodDisruptionBudget', app)).toBeDefined();
  });

  it.each(APPS)('%s: the grace period covers preStop, the drain and the forced exit', (app) => {
    const pod = podSpec(named(docs, 'Deployment', app) as Doc);
    const container = pod.containers[0] as Container;
    const drainMs = Number(
      container.env?.find((e) => e.name === 'GATEWAY_DRAIN_TIMEOUT_MS')?.value ?? DEFAULT_DRAIN_MS,
    );
    const preStop = container.lifecycle?.preStop?.exec?.command;
    const preStopMs = preStop?.[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(
      preStopMs + drainMs + FORCED_EXIT_MARGIN_MS,
    );
  });

  it.each(APPS)('%s: every variable it is given is documented', (app) => {
    const pod = podSpec(named(docs, 'Deployment', app) as Doc);
    const names = [...(pod.initContainers ?? []), ...pod.containers].flatMap((c) =>
      (c.env ?? []).map((e) => e.name),
    );
    const generated = [...(base.configMapGenerator ?? []), ...(base.secretGenerator ?? [])];
    names.push(...generated.flatMap((g) => literalNames(g.literals)));
    expect(names.map((name) => undocumented(app, name)).filter(Boolean)).toEqual([]);
  });

  it('init containers run entry points the image has', () => {
    for (const deployment of docs.filter((d) => d['kind'] === 'Deployment')) {
      const app = (deployment['metadata'] as Doc)['name'] as string;
      for (const init of podSpec(deployment).initContainers ?? []) {
        expect(init.image).toBe(IMAGE(app));
        const script = (init.args?.[0] ?? '').replace(/^dist\//, '').replace(/\.js$/, '.ts');
        expect(entryPoints(app)).toContain(script);
      }
    }
  });

  it('autoscaled Deployments leave replicas to the HorizontalPodAutoscaler', () => {
    for (const hpa of docs.filter((d) => d['kind'] === 'HorizontalPodAutoscaler')) {
      const target = ((hpa['spec'] as Doc)['scaleTargetRef'] as Doc)['name'] as string;
      const deployment = named(docs, 'Deployment', target) as Doc;
      expect(deployment).toBeDefined();
      expect((deployment['spec'] as Doc)['replicas']).toBeUndefined();
    }
    expect(
      docs
        .filter((d) => d['kind'] === 'HorizontalPodAutoscaler')
        .map((d) => {
          return (d['metadata'] as Doc)['name'];
        }),
    ).toEqual(['ingestion-gateway', 'sink-writer']);
  });
});

describe.each(['dev', 'prod'])('k8s/overlays/%s', (overlay) => {
  const dir = `k8s/overlays/${overlay}`;
  const overlayKustomization = kustomization(dir);
  const docs = resourcesOf(dir);
  const deployments = docs
    .filter((d) => d['kind'] === 'Deployment')
    .map((d) => (d['metadata'] as Doc)['name'] as string);

  it('includes the base and names its environment', () => {
    expect(overlayKustomization.resources).toContain('../../base');
    const env = overlayKustomization.configMapGenerator?.find((g) => g.name === 'platform-env');
    expect(env?.literals).toContain(`ENVIRONMENT=${overlay}`);
    expect(existsSync(join(REPO_ROOT, `config/environments/${overlay}.yaml`))).toBe(true);
  });

  it('tags the image of every app, and only those', () => {
    expect((overlayKustomization.images ?? []).map((i) => i.name).sort()).toEqual(
      APPS.map(IMAGE).sort(),
    );
  });

  it('scales and patches only what exists, and never an autoscaled Deployment', () => {
    const autoscaled = docs
      .filter((d) => d['kind'] === 'HorizontalPodAutoscaler')
      .map((d) => (d['metadata'] as Doc)['name']);
    for (const { name } of overlayKustomization.replicas ?? []) {
      expect(deployments).toContain(name);
      expect(autoscaled).not.toContain(name);
    }
    for (const { target } of overlayKustomization.patches ?? []) {
      const matches = docs.filter((d) =>
        selects(target, d['kind'] as string, (d['metadata'] as Doc)['name'] as string),
      );
      expect(matches.length).toBeGreaterThan(0);
    }
  });

  it.each(APPS)('%s: the variables the overlay adds are documented', (app) => {
    const generated = [
      ...(overlayKustomization.configMapGenerator ?? []),
      ...(overlayKustomization.secretGenerator ?? []),
    ];
    const names = generated.flatMap((g) => literalNames(g.literals));
    // And those its JSON patches add to the app's containers (`op: add` of `.../env/-`).
    for (const { target, patch } of overlayKustomization.patches ?? []) {
      if (patch === undefined || !selects(target, 'Deployment', app)) continue;
      const ops = parse(patch) as { op?: string; path?: string; value?: { name?: unknown } }[];
      for (const op of Array.isArray(ops) ? ops : []) {
        const name = op.value?.name;
        if (op.op === 'add' && /\/env\/-$/.test(op.path ?? '') && typeof name === 'string')
          names.push(name);
      }
    }
    expect(names.map((name) => undocumented(app, name)).filter(Boolean)).toEqual([]);
  });
});
