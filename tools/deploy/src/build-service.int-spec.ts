import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dropPgSchema, freePort, uniqueName } from '@platform/testing';
import { buildService, REPO_ROOT } from './build-service';

/**
 * What docker/Dockerfile does, without Docker: compile the schema registry with
 * build-service.ts, then run the output with plain `node` (no ts-node, no path-alias hook)
 * against the local PostgreSQL, as the image's entry point does.
 */
const work = join(REPO_ROOT, 'tmp', uniqueName('deploy_build'));
const out = join(work, 'dist');
const dbSchema = uniqueName('sr_deploy');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(() => {
  mkdirSync(work, { recursive: true });
  buildService('schema-registry', out);
}, 180_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await dropPgSchema(dbSchema);
});

it('emits plain JavaScript at the paths the image runs', () => {
  expect(existsSync(join(out, 'service', 'main.js'))).toBe(true);
  expect(existsSync(join(out, 'libs', 'schema-registry', 'src', 'cli.js'))).toBe(true);
  expect(filesUnder(out).filter((file) => file.endsWith('.ts'))).toEqual([]);
  expect(readdirSync(join(out, 'node_modules', '@platform')).sort()).toEqual(
    readdirSync(join(out, 'libs')).sort(),
  );
});

it('runs with plain node: ready, registers a schema, drains on SIGTERM', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(out, 'service', 'main.js')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
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
        cwd: REPO_ROOT,
        env: {
          ...process.env,
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
}, 120_000);
