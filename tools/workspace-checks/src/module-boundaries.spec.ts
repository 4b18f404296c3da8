import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Lints imports with the repository's real eslint.config.mjs inside a small fixture
 * workspace (two apps, a pure lib, an I/O lib), so the rules are checked against
 * projects that exist only for the test.
 */
const repoRoot = resolve(__dirname, '../../..');

const projects: Record<string, readonly string[]> = {
  'apps/alpha': ['type:app', 'scope:alpha'],
  'apps/beta': ['type:app', 'scope:beta'],
  'libs/pure': ['type:util', 'type:lib', 'scope:shared'],
  'libs/io': ['type:data-access', 'type:lib', 'scope:shared'],
};

const probes = {
  appImportsApp: ['apps/alpha/src/probe-app.ts', '@fixture/beta'],
  pureImportsIo: ['libs/pure/src/probe-io.ts', '@fixture/io'],
  libImportsApp: ['libs/io/src/probe-app.ts', '@fixture/alpha'],
  appImportsIo: ['apps/alpha/src/probe-io.ts', '@fixture/io'],
  appImportsPure: ['apps/alpha/src/probe-pure.ts', '@fixture/pure'],
  ioImportsPure: ['libs/io/src/probe-pure.ts', '@fixture/pure'],
} as const;

let workspace: string;
/** Boundary-rule messages per probe file, from one run of the ESLint CLI. */
const errors = new Map<string, string[]>();

function write(path: string, content: string): void {
  mkdirSync(dirname(join(workspace, path)), { recursive: true });
  writeFileSync(join(workspace, path), content);
}

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'boundaries-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(workspace, 'node_modules'), 'dir');
  copyFileSync(join(repoRoot, 'eslint.config.mjs'), join(workspace, 'eslint.config.mjs'));
  write('package.json', JSON.stringify({ name: 'fixture', private: true }));
  write('nx.json', JSON.stringify({ neverConnectToCloud: true, useDaemonProcess: false }));
  const paths: Record<string, string[]> = {};
  for (const [root, tags] of Object.entries(projects)) {
    const name = root.split('/')[1];
    const projectType = root.startsWith('apps/') ? 'application' : 'library';
    write(
      `${root}/project.json`,
      JSON.stringify({ name, projectType, sourceRoot: `${root}/src`, tags }),
    );
    write(`${root}/src/index.ts`, 'export const value = 1;\n');
    paths[`@fixture/${name}`] = [`${root}/src/index.ts`];
  }
  write('tsconfig.base.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths } }));
  for (const [file, importPath] of Object.values(probes)) {
    write(file, `import { value } from '${importPath}';\nexport const copy = value;\n`);
  }
  const env = { ...process.env, NX_DAEMON: 'false' };
  const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
  // The boundary rule reads the project graph that Nx caches; build it as `npm run lint` does.
  execFileSync(bin('nx'), ['show', 'projects'], { cwd: workspace, env, stdio: 'pipe' });
  const report = spawnSync(bin('eslint'), ['--format', 'json', 'apps', 'libs'], {
    cwd: workspace,
    env,
    encoding: 'utf8',
  });
  const results: { filePath: string; messages: { ruleId: string | null; message: string }[] }[] =
    JSON.parse(report.stdout);
  for (const r of results) {
    const rel = relative(workspace, r.filePath);
    errors.set(
      rel,
      r.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message),
    );
  }
}, 120_000);

afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const boundaryErrors = ([file]: readonly [string, string]): string[] | undefined =>
  errors.get(file);

describe('module boundaries', () => {
  it('fails an app that imports another app', () => {
    expect(boundaryErrors(probes.appImportsApp)).toEqual([
      expect.stringContaining('Imports of apps are forbidden'),
    ]);
  });

  it('fails a pure lib that imports an I/O lib', () => {
    expect(boundaryErrors(probes.pureImportsIo)).toEqual([
      expect.stringContaining(
        'A project tagged with "type:util" can only depend on libs tagged with "type:util"',
      ),
    ]);
  });

  it('fails a lib that imports an app', () => {
    expect(boundaryErrors(probes.libImportsApp)).toEqual([
      expect.stringContaining('Imports of apps are forbidden'),
    ]);
  });

  it('lets an app use both kinds of lib and an I/O lib use a pure one', () => {
    expect(boundaryErrors(probes.appImportsIo)).toEqual([]);
    expect(boundaryErrors(probes.appImportsPure)).toEqual([]);
    expect(boundaryErrors(probes.ioImportsPure)).toEqual([]);
  });
});
