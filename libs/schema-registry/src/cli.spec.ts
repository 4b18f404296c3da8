import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConfluentRegistry } from './testing/fake-confluent-registry';
import {
  addOptionalAttribute,
  addRequiredDimension,
  editedEcommerceYaml,
} from './testing/domain-yaml';
import { runCli } from './cli';

const REPO_ROOT = join(__dirname, '../../..');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Without the variables that would pick another config. */
function hermeticEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DOMAIN|ENVIRONMENT|CONFIG_DIR|PLATFORM__.*|SCHEMA_REGISTRY_.*)$/.test(key))
      env[key] = value;
  }
  return env;
}

/** The real command, as `npm run contracts --` runs it. */
function contracts(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'libs/schema-registry/src/cli.ts', ...args],
      { cwd: REPO_ROOT, env: hermeticEnv(), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('contracts CLI', () => {
  jest.setTimeout(90_000);
  let root: string;
  let configDir: string;
  const check = (...extra: string[]) =>
    contracts([
      'check',
      '--domain',
      'ecommerce',
      '--env',
      'dev',
      '--config-dir',
      configDir,
      ...extra,
    ]);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'contracts-cli-'));
    configDir = join(root, 'config');
    // The committed config, baseline included.
    cpSync(join(REPO_ROOT, 'config'), configDir, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('check (the real command)', () => {
    it('exits 0 on the unmodified domain against the committed baseline', async () => {
      const run = await check();
      expect(run.stderr).not.toMatch(/contracts:/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ok +events\.purchase-value +\(BACKWARD\)$/m);
      expect(run.stdout).toContain('7 subjects: 7 ok, 0 new, 0 incompatible');
    });

    it('exits 1 and names the field and rule when a required dimension is added', async () => {
      writeFileSync(
        join(configDir, 'domains/ecommerce.yaml'),
        editedEcommerceYaml(addRequiredDimension),
      );
      const run = await check();
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^INCOMPATIBLE +events\.purchase-value +\(BACKWARD\)$/m);
      expect(run.stdout).toMatch(
        /^ {4}- reader field "gift_wrap" has no default and is missing from the writer schema \(BACKWARD, against version 1\)$/m,
      );
      expect(run.stdout).toContain('7 subjects: 6 ok, 0 new, 1 incompatible');
    });

    it('exits 0 when an optional attribute is added', async () => {
      writeFileSync(
        join(configDir, 'domains/ecommerce.yaml'),
        editedEcommerceYaml(addOptionalAttribute),
      );
      const run = await check('--level', 'FULL_TRANSITIVE');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ok +events\.purchase-value +\(FULL_TRANSITIVE\)$/m);
    });

    it('exits 2 with a one-line message on a usage error', async () => {
      const run = await check('--registry', 'http://127.0.0.1:1', '--baseline', 'x');
      expect(run.code).toBe(2);
      expect(
        run.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('contracts:')),
      ).toEqual(['contracts: use either --registry or --baseline, not both']);
    });
  });

  describe('in process', () => {
    let out: string[];
    let err: string[];
    const run = (args: string[]) =>
      runCli(args, {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        env: {},
        cwd: root,
      });
    const common = ['--domain', 'ecommerce', '--env', 'dev', '--config-dir', 'config'];

    beforeEach(() => {
      out = [];
      err = [];
    });

    it('writes a baseline that a later check passes against', async () => {
      expect(await run(['baseline', ...common, '--out', 'new-baseline'])).toBe(0);
      expect(out).toEqual(['baseline new-baseline: 7 subjects, 7 written, 0 removed']);
      expect(await run(['check', ...common, '--baseline', 'new-baseline'])).toBe(0);
    });

    it('reads a domain file from anywhere and names subjects after the namespace', async () => {
      cpSync(join(configDir, 'domains', 'telemetry.yaml'), join(root, 'sensors.yaml'));
      const flags = ['--env', 'dev', '--config-dir', 'config', '--domain-file', 'sensors.yaml'];
      expect(await run(['baseline', ...flags, '--namespace', 'blue', '--out', 'ns-baseline'])).toBe(
        0,
      );
      expect(readdirSync(join(root, 'ns-baseline')).length).toBeGreaterThan(0);
      expect(readdirSync(join(root, 'ns-baseline')).every((f) => f.startsWith('blue.'))).toBe(true);
      expect(
        await run(['check', ...flags, '--namespace', 'blue', '--baseline', 'ns-baseline']),
      ).toBe(0);
    });

    it('exits 2 on a config error, with the code and a one-line message', async () => {
      expect(await run(['check', '--env', 'staging', '--config-dir', 'config'])).toBe(2);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(
        /^contracts: CONFIG_FILE_NOT_FOUND: Config file environments\/staging\.yaml/,
      );
    });

    it('exits 2 on a missing baseline directory', async () => {
      expect(await run(['check', ...common, '--baseline', 'nowhere'])).toBe(2);
      expect(err).toEqual([
        `contracts: baseline directory ${join(root, 'nowhere')} does not exist`,
      ]);
    });

    it('exits 2 on an unknown level', async () => {
      expect(await run(['check', ...common, '--level', 'SIDEWAYS'])).toBe(2);
    });

    describe('with a registry', () => {
      const registry = new FakeConfluentRegistry();
      beforeAll(() => registry.start());
      afterAll(() => registry.stop());
      beforeEach(() => registry.reset());

      it('registers every schema, then checks them as ok where new ones were new before', async () => {
        expect(await run(['check', ...common, '--registry', registry.url])).toBe(0);
        expect(out.filter((l) => l.startsWith('new '))).toHaveLength(7);

        out = [];
        expect(await run(['register', ...common, '--registry', registry.url])).toBe(0);
        expect(out.filter((l) => /^registered +\S+-value +id \d+$/.test(l))).toHaveLength(7);

        out = [];
        expect(await run(['check', ...common, '--registry', registry.url])).toBe(0);
        expect(out.filter((l) => /^ok +\S+-value +\(BACKWARD\)$/.test(l))).toHaveLength(7);
      });

      it('uses schema_registry.url from the config when --registry has no value', async () => {
        writeFileSync(
          join(configDir, 'environments/dev.yaml'),
          `environment: dev\nschema_registry:\n  url: ${registry.url}\n`,
        );
        expect(await run(['check', ...common, '--registry'])).toBe(0);
        expect(out[0]).toBe(`# ecommerce/dev against ${registry.url}`);
      });

      it('exits 2 when the registry fails', async () => {
        const failure = { status: 500, body: { error_code: 50001, message: 'store down' } };
        registry.script('GET', '/subjects/', failure, failure, failure);
        expect(await run(['check', ...common, '--registry', registry.url])).toBe(2);
        expect(err).toHaveLength(1);
        expect(err[0]).toContain('store down');
      });
    });
  });
});
