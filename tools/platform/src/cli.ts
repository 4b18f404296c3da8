// `npm start`: the whole platform on this machine, with a generator sending through the gateway.
// Ctrl-C stops what it started: the generator, then each service drains and exits.
import { Command, InvalidArgumentError } from 'commander';
import { startPlatform } from './platform';

const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return n;
};

async function main(argv: readonly string[]): Promise<void> {
  const options = new Command('start')
    .description('Run the whole platform on this machine; Ctrl-C stops it')
    .option('--namespace <name>', 'prefix of every name the run owns (default: NAMESPACE)')
    .option('--domain <name>', 'domain of config/domains/<name>.yaml (default: DOMAIN)')
    .option('--domain-file <path>', 'a domain file anywhere (default: DOMAIN_FILE)')
    .option(
      '--rate <n>',
      'events a second the generator sends through the gateway; 0: none',
      int,
      100,
    )
    .option('--seed <n>', 'seed of the synthetic events', int, 42)
    .option('--history <n>', 'events sent first, as fast as the gateway takes them', int, 12_000)
    .option('--gateway-port <n>', 'port of the gateway (0: a free one)', int, 8080)
    .option('--registry-port <n>', 'port of the schema registry', int, 8081)
    .option('--sink-writer-port <n>', 'port of the sink writer', int, 8083)
    .option('--aggregator-port <n>', 'port of the aggregator', int, 8092)
    .parse([...argv], { from: 'user' })
    .opts<{
      namespace?: string;
      domain?: string;
      domainFile?: string;
      rate: number;
      seed: number;
      history: number;
      gatewayPort: number;
      registryPort: number;
      sinkWriterPort: number;
      aggregatorPort: number;
    }>();
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const namespace = options.namespace ?? process.env['NAMESPACE'] ?? '';
  const platform = await startPlatform({
    namespace,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.domainFile === undefined ? {} : { domainFile: options.domainFile }),
    rate: options.rate,
    seed: options.seed,
    history: options.history,
    ports: {
      gateway: options.gatewayPort,
      registry: options.registryPort,
      'sink-writer': options.sinkWriterPort,
      aggregator: options.aggregatorPort,
    },
    log: out,
  });
  out('');
  out(`The platform runs${namespace === '' ? '' : ` in namespace ${namespace}`}. Look at:`);
  out(`  dashboard        ${platform.dashboard}`);
  out(`  data contract    ${platform.urls.gateway}/v1/contract`);
  out(`  API docs         ${platform.urls.gateway}/docs`);
  out(`  write key        ${platform.key}`);
  out(
    `  metrics          ${Object.values(platform.urls)
      .map((u) => `${u}/metrics`)
      .join('  ')}`,
  );
  out(`  logs             ${platform.dir}/*.log`);
  out(
    `  names            npm run config -- explain${namespace === '' ? '' : ` --namespace ${namespace}`}`,
  );
  if (platform.started.length === 0 && !platform.generating) {
    out('Everything was running already; this command started nothing and leaves it running.');
    return;
  }
  out('Ctrl-C stops what this command started.');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    out('stopping: the generator, then each service drains and exits…');
    void platform.stop().then(
      () => {
        out('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
