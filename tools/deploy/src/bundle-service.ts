/**
 * Bundles the output of build-service.ts (tsc, one CommonJS file per module) into one file
 * per entry point, with every third-party package inlined, so that the runtime image needs
 * no node_modules: no TypeScript, ts-node or test tooling can reach it, and the image is
 * about the size of its Node base.
 *
 *   <out>/service/main.js                    the service
 *   <out>/service/cli.js                     the app's CLI, when it has one
 *   <out>/libs/schema-registry/src/cli.js    the contracts CLI
 *   <out>/node_modules/chart.js/…            files a package reads from disk at run time
 *
 * tsc runs first because Nest needs the decorator metadata it emits; esbuild only joins
 * the already compiled modules. Packages that a library only tries to load (Nest's
 * optional transports, TypeORM's other drivers, pg-native) are not installed and stay
 * unresolved `require`s, which those libraries catch. `@confluentinc/kafka-javascript`
 * (a native binding) is left out on purpose: the images produce with kafkajs; the
 * librdkafka producer (`GENERATOR_KAFKA_CLIENT=librdkafka`) then fails at start saying so.
 *
 *   npx tsx tools/deploy/src/bundle-service.ts <dist-dir> <out-dir>
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Left out of every bundle: native, and not used unless asked for. */
export const EXCLUDED_PACKAGES = ['@confluentinc/kafka-javascript'] as const;

/**
 * Packages kept as files beside the bundle, only the files named: chart.js (the gateway
 * serves its UMD build to the dashboard) and kafkajs, whose internal modules
 * @platform/messaging replaces through `require.cache` (kafkajs-modules.ts), which needs
 * them to stay modules of their own. kafkajs has no dependencies.
 */
export const COPIED_FILES: Readonly<Record<string, readonly string[]>> = {
  'chart.js': ['package.json', 'dist/chart.umd.js', 'dist/chart.cjs'],
  kafkajs: ['package.json', 'index.js', 'types', 'src'],
};

/**
 * Native bindings shipped as one package per platform (`<name>-linux-x64-gnu`, …), which
 * esbuild cannot inline: the package and the platform packages npm installed for the build's
 * platform, which is the image's, are copied whole beside the bundle. `@node-rs/crc32`
 * checksums every record batch the services produce.
 */
export const PLATFORM_PACKAGES: readonly string[] = ['@node-rs/crc32'];

/** The installed platform packages of `pkg` (`@scope/name-<platform>`), relative to node_modules. */
export function installedPlatformPackages(nodeModules: string, pkg: string): string[] {
  const scope = dirname(pkg);
  const name = basename(pkg);
  const dir = scope === '.' ? nodeModules : join(nodeModules, scope);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => entry.startsWith(`${name}-`))
    .map((entry) => (scope === '.' ? entry : `${scope}/${entry}`));
}

/** The entry points of a build-service output that exist, relative to it. */
export function bundleEntries(distDir: string): string[] {
  return ['service/main.js', 'service/cli.js', 'libs/schema-registry/src/cli.js'].filter((f) =>
    existsSync(join(distDir, f)),
  );
}

/**
 * A bare import that does not resolve is an optional one (the library guards it): keep it
 * as a `require` for run time instead of failing the build.
 */
const optionalPackages = (missing: Set<string>): Plugin => ({
  name: 'optional-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'probe' || args.path.startsWith('node:')) return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'probe',
      });
      if (found.errors.length === 0) return undefined;
      missing.add(args.path);
      return { path: args.path, external: true };
    });
  },
});

export interface BundleResult {
  readonly entries: readonly string[];
  /** Bare imports left unresolved (optional packages of the libraries). */
  readonly unresolved: readonly string[];
}

export async function bundleService(
  distDir: string,
  outDir: string,
  nodeModules: string = resolve(__dirname, '../../../node_modules'),
): Promise<BundleResult> {
  const dist = resolve(distDir);
  const out = resolve(outDir);
  const entries = bundleEntries(dist);
  if (!entries.includes('service/main.js')) throw new Error(`${dist} has no service/main.js`);
  rmSync(out, { recursive: true, force: true });
  const missing = new Set<string>();
  const kept = [...Object.keys(COPIED_FILES), ...PLATFORM_PACKAGES];
  for (const entry of entries) {
    await build({
      entryPoints: [join(dist, entry)],
      outfile: join(out, entry),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // The files Node's own `require` loads, as under the tests: with no custom condition
      // esbuild adds `module`, and picks packages' ESM builds, some compiled to ES5
      // (@opentelemetry's: `arguments` copies and spread helpers on every `context.with`)
      // and wrapped in getters, which the gateway's profile showed on every request.
      conditions: [],
      // Nest and TypeORM read class names (providers, entities, error messages).
      keepNames: true,
      legalComments: 'none',
      logLevel: 'error',
      // Only the compiled JavaScript: a tsconfig.json above the output (the repository's,
      // with its @platform/* paths to the TypeScript sources) must not redirect imports to
      // sources esbuild would compile without Nest's decorator metadata.
      tsconfigRaw: {},
      // @platform/* stubs written by build-service, then the repository's packages.
      nodePaths: [join(dist, 'node_modules'), nodeModules],
      external: [...EXCLUDED_PACKAGES, ...kept],
      plugins: [optionalPackages(missing)],
    });
  }
  for (const [pkg, files] of Object.entries(COPIED_FILES)) {
    for (const file of files) {
      const target = join(out, 'node_modules', pkg, file);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(nodeModules, pkg, file), target, { recursive: true });
    }
  }
  for (const pkg of PLATFORM_PACKAGES) {
    for (const whole of [pkg, ...installedPlatformPackages(nodeModules, pkg)]) {
      cpSync(join(nodeModules, whole), join(out, 'node_modules', whole), { recursive: true });
    }
  }
  writeFileSync(
    join(out, 'bundle.json'),
    `${JSON.stringify({ entries, unresolved: [...missing].sort() }, null, 2)}\n`,
  );
  return { entries, unresolved: [...missing].sort() };
}

if (require.main === module) {
  const [distDir, outDir] = process.argv.slice(2);
  if (distDir === undefined || outDir === undefined) {
    console.error('usage: bundle-service.ts <dist-dir> <out-dir>');
    process.exit(2);
  }
  bundleService(distDir, outDir).then(
    (r) => console.log(`bundled ${r.entries.join(', ')} into ${relative(process.cwd(), outDir)}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
