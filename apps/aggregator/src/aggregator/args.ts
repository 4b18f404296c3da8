// `aggregator run|run-once [--aggregation name]... [--console] [--no-transactions] [--env name]`.
export interface CliArgs {
  readonly mode: 'run' | 'run-once';
  readonly aggregations: readonly string[];
  readonly console: boolean;
  readonly transactions: boolean;
  readonly environment?: string;
}

export type ParsedArgs =
  | { readonly kind: 'args'; readonly args: CliArgs }
  | { readonly kind: 'exit'; readonly code: number; readonly output: string };

export const USAGE = `Usage: aggregator <run|run-once> [options]

  run        consume continuously (with /healthz, /readyz, /metrics on PORT, default 8092)
  run-once   consume up to the end offsets at start, flush every window, exit 0

Options:
  --aggregation <name>  only this aggregation (repeatable; default: all of the domain)
  --console             print the results as a table (run-once: the final rows at the end)
  --no-transactions     AT-LEAST-ONCE: plain producer, offsets committed by the consumer
                        (benchmark baseline only; results may double count after a crash)
  --env <name>          config environment (default: ENVIRONMENT or platform.yaml)
  --domain <name>       domain of config/domains/<name>.yaml (default: DOMAIN)
  --domain-file <path>  a domain file anywhere (default: DOMAIN_FILE)
  --namespace <name>    prefix of every name the run owns (default: NAMESPACE)
  -h, --help            this text
`;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help') return { kind: 'exit', code: 0, output: USAGE };
  if (command !== 'run' && command !== 'run-once') {
    return {
      kind: 'exit',
      code: 2,
      output: `error: expected run or run-once, got ${JSON.stringify(command ?? '')}\n\n${USAGE}`,
    };
  }
  const aggregations: string[] = [];
  let consoleOut = false;
  let transactions = true;
  let environment: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = (): string | undefined => rest[++i];
    switch (arg) {
      case '--aggregation': {
        const v = value();
        if (v === undefined)
          return { kind: 'exit', code: 2, output: 'error: --aggregation needs a name\n' };
        aggregations.push(...v.split(','));
        break;
      }
      case '--console':
        consoleOut = true;
        break;
      case '--no-transactions':
        transactions = false;
        break;
      case '--env': {
        const v = value();
        if (v === undefined)
          return { kind: 'exit', code: 2, output: 'error: --env needs a name\n' };
        environment = v;
        break;
      }
      case '-h':
      case '--help':
        return { kind: 'exit', code: 0, output: USAGE };
      default:
        return { kind: 'exit', code: 2, output: `error: unknown option ${arg}\n\n${USAGE}` };
    }
  }
  return {
    kind: 'args',
    args: {
      mode: command,
      aggregations,
      console: consoleOut,
      transactions,
      ...(environment === undefined ? {} : { environment }),
    },
  };
}
