import { readFileSync, writeFileSync } from 'node:fs';
import { makeConfigTree, type ConfigTree } from './lib/testing/config-tree';
import { runCli } from './cli';

describe(runCli.name, () => {
  let tree: ConfigTree;
  let out: string[];
  let err: string[];
  const run = (args: string[], env: Record<string, string> = {}): Promise<number> =>
    runCli(args, {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      env,
      cwd: tree.root,
    });

  beforeEach(() => {
    tree = makeConfigTree({
      'environments/prod.yaml': 'environment: prod\nkafka: { replication_factor: 3 }\n',
    });
    out = [];
    err = [];
  });
  afterEach(() => tree.remove());

  it('explains each key with its value and source in aligned columns', async () => {
    expect(
      await run(['explain', '--domain', 'shop', '--env', 'prod'], {
        PLATFORM__kafka__client_id: 'cli',
      }),
    ).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(`# domain shop, environment prod, from ${tree.configDir}`);
    expect(text).toMatch(/^kafka\.client_id +cli +env:PLATFORM__kafka__client_id$/m);
    expect(text).toMatch(/^kafka\.replication_factor +3 +environments\/prod\.yaml$/m);
    expect(text).toMatch(/^kafka\.brokers +\[127\.0\.0\.1:9092\] +platform\.yaml$/m);
    expect(text).toMatch(/^kafka\.compression +none +default$/m);
    expect(text).toMatch(/^event_types\[0\]\.name +page_view +domains\/shop\.yaml$/m);
    const table = text.split('\n\n')[0] ?? '';
    const columns = table
      .split('\n')
      .slice(1)
      .map((line) => line.search(/ {2}\S/));
    expect(new Set(columns).size).toBe(1);
    expect(text).toMatch(/^# names the run owns \(namespace none\)$/m);
    expect(text).toMatch(/^sink_writer\.group_id +sink-writer$/m);
  });

  it("explains the services' own sections with the variable or default behind each value", async () => {
    expect(
      await run(['explain', '--domain', 'shop'], { PORT: '9000', SINK_WRITER_SINKS: 'postgres' }),
    ).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^gateway\.port +9000 +env:PORT$/m);
    expect(text).toMatch(/^gateway\.max_batch_events +500 +default$/m);
    expect(text).toMatch(/^sink_writer\.sinks +\[postgres\] +env:SINK_WRITER_SINKS$/m);
    expect(text).toMatch(/^registry\.port +9000 +env:PORT$/m);
  });

  it('refuses a bad port in validate, naming the variable', async () => {
    expect(await run(['validate', '--domain', 'shop'], { PORT: '65536' })).toBe(1);
    expect(err.join('\n')).toContain('PORT="65536": must be at most 65535');
  });

  it('derives every name of a run from --namespace, the service names too', async () => {
    expect(
      await run(['explain', '--domain', 'shop', '--env', 'dev', '--namespace', 'run_a'], {
        SINK_WRITER_GROUP_ID: 'writers',
      }),
    ).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^topics\.events +run_a\.events +namespace:run_a$/m);
    expect(text).toMatch(/^clickhouse\.database +run_a_platform +namespace:run_a$/m);
    expect(text).toMatch(/^postgres\.schema +run_a_platform +namespace:run_a$/m);
    expect(text).toMatch(/^aggregator\.app_id .* run_a\.aggregator$/m);
    expect(text).toMatch(/^sink_writer\.group_id +run_a\.writers$/m);
    expect(text).toMatch(/^schema_registry\.db_schema +run_a_schema_registry$/m);
  });

  it('loads a domain from --domain-file, named by its domain key', async () => {
    const file = `${tree.configDir}/../elsewhere.yaml`;
    writeFileSync(file, readFileSync(`${tree.configDir}/domains/shop.yaml`, 'utf8'));
    expect(await run(['validate', '--env', 'dev', '--domain-file', file])).toBe(0);
    expect(out[0]).toMatch(/^config valid: domain shop, environment dev \(.*elsewhere\.yaml\)$/);
  });

  it('refuses a namespace that is not a plain lower-case name', async () => {
    expect(await run(['validate', '--domain', 'shop'], { NAMESPACE: 'Run-A' })).toBe(1);
    expect(err[0]).toMatch(/CONFIG_BAD_NAME: Invalid namespace "Run-A" \(env:NAMESPACE\)/);
  });

  it('prints the explanation as JSON with --json', async () => {
    expect(await run(['explain', '--domain', 'shop', '--env', 'dev', '--json'])).toBe(0);
    const parsed = JSON.parse(out.join('\n')) as {
      entries: { path: string; value: unknown; source: string }[];
    };
    expect(parsed.entries).toContainEqual({
      path: 'kafka.client_id',
      value: 'from-platform',
      source: 'platform.yaml',
    });
  });

  it('exits 0 from validate on a valid config', async () => {
    expect(await run(['validate', '--domain', 'shop', '--env', 'dev'])).toBe(0);
    expect(out).toEqual([
      'config valid: domain shop, environment dev (platform.yaml < environments/dev.yaml < domains/shop.yaml)',
    ]);
  });

  it('exits 1 from validate with the error code and message on an invalid config', async () => {
    tree.write('environments/dev.yaml', 'kafka:\n  brokers: []\n');
    expect(await run(['validate', '--domain', 'shop', '--env', 'dev'])).toBe(1);
    expect(err).toEqual([
      'config: CONFIG_INVALID: Invalid configuration:\n  - kafka.brokers (environments/dev.yaml): expected an array of host:port strings',
    ]);
  });

  it('exits 1 with a one-line message when the environment file does not exist', async () => {
    expect(await run(['validate', '--env', 'staging'])).toBe(1);
    expect(err).toEqual([
      `config: CONFIG_FILE_NOT_FOUND: Config file environments/staging.yaml not found in ${tree.configDir} (known: dev, prod)`,
    ]);
  });

  it('exits 1 on an unknown command', async () => {
    expect(await run(['explian'])).toBe(1);
    expect(err.join('\n')).toContain("unknown command 'explian'");
  });
});
