import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPgSchema, freePort, uniqueName } from '@platform/testing';
import { buildService, REPO_ROOT } from './build-service';
import { bundleService, installedPlatformPackages } from './bundle-service';

/**
 * What docker/Dockerfile does, without Docker: compile the schema registry with
 * build-service.ts, then run the output with plain `node` (no ts-node, no path-alias hook)
 * against the local PostgreSQL, as the image's entry point does.
 */
const work = join(REPO_ROOT, 'tmp', uniqueName('deploy_build'));
const out = join(work, 'dist');
// The bundle runs outside the repository, where no node_modules can be found above it.
const outside = mkdtempSync(join(tmpdir(), 'deploy-bundle-'));
const bundled = join(outside, 'dist');
const dbSchemas = [uniqueName('sr_deploy'), uniqueName('sr_bundle')];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  buildService('schema-registry', out);
  await bundleService(out, bundled);
}, 180_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  for (const schema of dbSchemas) await dropPgSchema(schema);
});

it('emits plain JavaScript at the paths the image runs', () => {
  expect(existsSync(join(out, 'service', 'main.js'))).toBe(true);
  expect(existsSync(join(out, 'libs', 'schema-registry', 'src', 'cli.js'))).toBe(true);
  expect(filesUnder(out).filter((file) => file.endsWith('.ts'))).toEqual([]);
  expect(readdirSync(join(out, 'node_modules', '@platform')).sort()).toEqual(
    readdirSync(join(out, 'libs')).sort(),
  );
});

it('bundles every entry point into single files, kafkajs, chart.js and the CRC-32C binding kept beside them', () => {
  expect(existsSync(join(bundled, 'service', 'main.js'))).toBe(true);
  expect(existsSync(join(bundled, 'libs', 'schema-registry', 'src', 'cli.js'))).toBe(true);
  expect(readdirSync(join(bundled, 'node_modules')).sort()).toEqual([
    '@node-rs',
    'chart.js',
    'kafkajs',
  ]);
  // The package and the binary npm installed for this platform, which load from the bundle.
  expect(readdirSync(join(bundled, 'node_modules', '@node-rs')).sort()).toEqual(
    [
      'crc32',
      ...installedPlatformPackages(join(REPO_ROOT, 'node_modules'), '@node-rs/crc32').map((p) =>
        p.slice('@node-rs/'.length),
      ),
    ].sort(),
  );
  const check = spawnSync(
    process.execPath,
    ['-e', "process.stdout.write(require('@node-rs/crc32').crc32c('123456789').toString(16))"],
    { cwd: join(bundled, 'service'), encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
  );
  expect(check.stderr).toBe('');
  expect(check.stdout).toBe('e3069283');
  expect(filesUnder(join(bundled, 'service'))).toEqual([join(bundled, 'service', 'main.js')]);
  // Joined from tsc's JavaScript, never from the TypeScript sources (no decorator metadata).
  const main = readFileSync(join(bundled, 'service', 'main.js'), 'utf8');
  expect(main).toMatch(/^\/\/ \S*libs\/config\/src\/index\.js$/m);
  expect(main).not.toMatch(/^\/\/ \S+\.ts$/m);
});

// The tsc output (run from the repository) and the bundle the image ships (run from a
// directory with no node_modules above it, config from CONFIG_DIR).
it.each([
  ['tsc output', () => out, REPO_ROOT, 0],
  ['bundle', () => bundled, outside, 1],
])(
  'the %s runs with plain node: ready, registers a schema, drains on SIGTERM',
  async (_, dir, cwd, n) => {
    const out = dir();
    const dbSchema = dbSchemas[n] as string;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [join(out, 'service', 'main.js')], {
      cwd,
      env: {
        ...process.env,
        CONFIG_DIR: join(REPO_ROOT, 'config'),
        NODE_ENV: 'production',
        ENVIRONMENT: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        SCHEMA_REGISTRY_DB_SCHEMA: dbSchema,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    try {
      let ready = false;
      for (let attempt = 0; attempt < 150 && !ready && child.exitCode === null; attempt++) {
        ready = await fetch(`${url}/readyz`).then(
          (res) => res.ok,
          () => false,
        );
        if (!ready) await new Promise((done) => setTimeout(done, 200));
      }
      expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('# TYPE');

      // The image's other entry point: `contracts register` against this registry.
      const register = spawnSync(
        process.execPath,
        [join(out, 'libs', 'schema-registry', 'src', 'cli.js'), 'register', '--registry', url],
        {
          cwd,
          env: {
            ...process.env,
            CONFIG_DIR: join(REPO_ROOT, 'config'),
            ENVIRONMENT: 'test',
            PLATFORM__topics__events: `${dbSchema}_events`,
            PLATFORM__topics__aggregates: `${dbSchema}_aggregates`,
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect({ status: register.status, stderr: register.stderr }).toEqual({
        status: 0,
        stderr: '',
      });
      expect(register.stdout).toMatch(/\d+ subjects: \d+ registered, 0 incompatible/);
      const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
      expect(subjects.length).toBeGreaterThan(0);
      expect(subjects.every((subject) => subject.startsWith(dbSchema))).toBe(true);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  },
  120_000,
);
