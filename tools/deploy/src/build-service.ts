/**
 * Compiles one app into a directory that runs with plain `node` (what docker/Dockerfile
 * ships):
 *
 *   <out>/service/main.js            the app's src/ (main.js, and cli.js when it has one)
 *   <out>/libs/<lib>/src/…           the libraries it imports
 *   <out>/node_modules/@platform/…   one package.json per library, pointing at its index.js
 *
 * `tsc` (not esbuild) because Nest needs the decorator metadata; each file stays its own
 * CommonJS module, as under ts-node today. The `@platform/*` imports resolve through the
 * package stubs, so no path-alias hook is needed at run time; third-party packages come from
 * the nearest node_modules above <out>.
 *
 *   node -r ts-node/register/transpile-only tools/deploy/src/build-service.ts <app> <out>
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');

/** Every app has an image: the directories under apps/. */
export function appNames(root: string = REPO_ROOT): string[] {
  return readdirSync(join(root, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'apps', entry.name, 'src')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * What an image can run: the service, the app's own CLI (gateway keys, generator runs,
 * aggregator run-once) and the `contracts` CLI (register and check schemas from a Job).
 */
export function entryPoints(app: string, root: string = REPO_ROOT): string[] {
  const candidates = [
    `apps/${app}/src/main.ts`,
    `apps/${app}/src/cli.ts`,
    'libs/schema-registry/src/cli.ts',
  ];
  return candidates.filter((file) => existsSync(join(root, file)));
}

export function buildService(app: string, outDir: string, root: string = REPO_ROOT): void {
  if (!appNames(root).includes(app)) {
    throw new Error(`unknown app "${app}"; one of: ${appNames(root).join(', ')}`);
  }
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  const work = mkdtempSync(join(tmpdir(), 'build-service-'));
  try {
    const tsconfig = join(work, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: {
          rootDir: root,
          outDir: out,
          noEmit: false,
          noEmitOnError: true,
          sourceMap: false,
          declaration: false,
          incremental: false,
          // The config lives in a temp dir; type packages are the repository's.
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: entryPoints(app, root).map((file) => join(root, file)),
      }),
    );
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], {
      stdio: 'inherit',
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // A fixed path, so the image's entrypoint does not depend on the app's name.
  renameSync(join(out, 'apps', app, 'src'), join(out, 'service'));
  rmSync(join(out, 'apps'), { recursive: true, force: true });
  writeLibraryStubs(out);
}

/** `@platform/<lib>` → `<out>/libs/<lib>/src/index.js`, for every library compiled. */
function writeLibraryStubs(out: string): void {
  const libs = join(out, 'libs');
  if (!existsSync(libs)) return;
  for (const lib of readdirSync(libs)) {
    if (!existsSync(join(libs, lib, 'src', 'index.js'))) continue;
    const stub = join(out, 'node_modules', '@platform', lib);
    mkdirSync(stub, { recursive: true });
    writeFileSync(
      join(stub, 'package.json'),
      `${JSON.stringify({ name: `@platform/${lib}`, private: true, main: `../../../libs/${lib}/src/index.js` }, null, 2)}\n`,
    );
  }
}

if (require.main === module) {
  const [app, outDir] = process.argv.slice(2);
  if (app === undefined || outDir === undefined) {
    console.error('usage: build-service.ts <app> <out-dir>');
    process.exit(2);
  }
  try {
    buildService(app, outDir);
    console.log(`built ${app} into ${resolve(outDir)}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
