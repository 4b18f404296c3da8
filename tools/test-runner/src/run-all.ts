/**
 * `npm test`: every check the project has, in the order that fails fastest.
 *   1. lint (ESLint, with the Nx module boundaries computed from a fresh project graph)
 *   2. typecheck (tsc over the whole tree)
 *   3. unit tests (Jest, every project)
 *   4. integration tests (Jest, *.int-spec.ts, against the real local stack, started when not running)
 * It ends with one line, `N passed, N failed`, counting test cases of both Jest runs
 * (plus one failed case for each step that failed outside Jest).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const onlyUnit = process.argv.includes('--unit-only');

interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly passed: number;
  readonly failed: number;
}

function run(name: string, command: string, args: readonly string[]): StepResult {
  const started = Date.now();
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  const ok = result.status === 0;
  return { name, ok, seconds: (Date.now() - started) / 1000, passed: 0, failed: ok ? 0 : 1 };
}

function jest(name: string, configFile: string): StepResult {
  const dir = mkdtempSync(join(tmpdir(), 'platform-jest-'));
  const report = join(dir, 'report.json');
  try {
    const step = run(name, 'npx', [
      'jest',
      '-c',
      configFile,
      '--ci',
      '--json',
      `--outputFile=${report}`,
    ]);
    let counts: { numPassedTests: number; numFailedTests: number; numTotalTests: number };
    try {
      counts = JSON.parse(readFileSync(report, 'utf8'));
    } catch {
      // Jest died before writing its report: count the whole step as one failure.
      return step;
    }
    // A suite that fails to load has no failed tests, yet the run failed: count it.
    const failed = counts.numFailedTests + (step.ok || counts.numFailedTests > 0 ? 0 : 1);
    return { ...step, passed: counts.numPassedTests, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const steps: StepResult[] = [];
steps.push(run('lint', 'npm', ['run', '--silent', 'lint']));
steps.push(run('typecheck', 'npm', ['run', '--silent', 'typecheck']));
steps.push(jest('unit tests', 'jest.config.ts'));
if (!onlyUnit) steps.push(jest('integration tests', 'jest.int.config.ts'));

console.log('\nSummary');
for (const s of steps) {
  const counts = s.passed + s.failed > 0 ? `  ${s.passed} passed, ${s.failed} failed` : '';
  console.log(
    `  ${s.ok ? 'ok  ' : 'FAIL'}  ${s.name.padEnd(18)} ${s.seconds.toFixed(1).padStart(6)} s${counts}`,
  );
}
const passed = steps.reduce((n, s) => n + s.passed, 0);
const failed = steps.reduce((n, s) => n + s.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
