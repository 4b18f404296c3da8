// `npm run gateway -- keys create --source web --event-types page_view,purchase`
// Manages write keys in the gateway's PostgreSQL schema (same config and GATEWAY_DB_SCHEMA
// as the service). The secret is printed once, at creation; only its hash is stored.
import 'reflect-metadata';
import { load, takeRunFlags } from '@platform/config';
import { exitWhenFlushed, installProcessFailureHandler } from '@platform/observability';
import { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { WriteKeyStore, type WriteKeyRecord } from './auth/write-keys';
import {
  listDeadLetters,
  replayDeadLetters,
  showDeadLetter,
  type DlqOptions,
  type ReplayOptions,
  UsageError,
} from './dead-letters/dlq-commands';
import { loadGatewaySettings } from './config/gateway-settings';
import { serveStdio } from './mcp/stdio-bridge';
import { openDatabase } from './persistence/database';

interface Common {
  readonly domain?: string;
  readonly env?: string;
  readonly json?: boolean;
}

async function withStore<T>(
  options: Common,
  fn: (store: WriteKeyStore, eventTypes: readonly string[]) => Promise<T>,
): Promise<T> {
  const config = await load({
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.env === undefined ? {} : { environment: options.env }),
  });
  const settings = loadGatewaySettings(process.env);
  let db: DataSource | undefined;
  try {
    db = await openDatabase(config.postgres, settings.dbSchema, 'ingestion-gateway-cli');
    return await fn(
      new WriteKeyStore(db, settings.dbSchema),
      config.model.eventTypes.map((e) => e.name),
    );
  } finally {
    await db?.destroy();
  }
}

function row(r: WriteKeyRecord): Record<string, string> {
  return {
    id: r.id,
    source: r.source,
    prefix: r.keyPrefix,
    event_types: r.eventTypes === null ? '*' : r.eventTypes.join(','),
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt === null ? '' : r.revokedAt.toISOString(),
  };
}

function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return '(no write keys)';
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => r[c] ?? ''))),
  ].join('\n');
}

export function buildProgram(): Command {
  const program = new Command('gateway')
    .description('Ingestion gateway administration')
    .exitOverride();
  const keys = program.command('keys').description('Write keys per source');
  const common = (cmd: Command): Command =>
    cmd
      .option('-d, --domain <domain>', 'domain config to load')
      .option('-e, --env <env>', 'environment config to load')
      .option('--json', 'JSON output');

  common(keys.command('create'))
    .description('Create a write key; prints the secret once')
    .requiredOption('-s, --source <source>', 'the source the key belongs to (e.g. web, ios)')
    .option('-t, --event-types <types>', 'comma-separated event types it may send (default: all)')
    .action(async (options: Common & { source: string; eventTypes?: string }) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.source))
        throw new Error('--source: letters, digits, _ . - (at most 64)');
      const wanted = options.eventTypes
        ?.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      const created = await withStore(options, async (store, known) => {
        const unknown = (wanted ?? []).filter((t) => !known.includes(t));
        if (unknown.length > 0)
          throw new Error(`unknown event types: ${unknown.join(', ')}; known: ${known.join(', ')}`);
        return store.create(
          options.source,
          wanted === undefined || wanted.length === 0 ? null : wanted,
        );
      });
      if (options.json) console.log(JSON.stringify({ ...row(created.record), key: created.key }));
      else {
        console.log(table([row(created.record)]));
        console.log(`\nwrite key (shown once, store it now): ${created.key}`);
      }
    });

  common(keys.command('list'))
    .description('List write keys (never the secrets)')
    .action(async (options: Common) => {
      const list = await withStore(options, (store) => store.list());
      console.log(options.json ? JSON.stringify(list.map(row)) : table(list.map(row)));
    });

  common(keys.command('revoke'))
    .description('Revoke a write key by id or prefix')
    .argument('<id-or-prefix>')
    .action(async (idOrPrefix: string, options: Common) => {
      const revoked = await withStore(options, (store) => store.revoke(idOrPrefix));
      if (revoked.length === 0)
        throw new Error(`no active write key with id or prefix ${idOrPrefix}`);
      console.log(options.json ? JSON.stringify(revoked.map(row)) : table(revoked.map(row)));
    });

  addDlqCommands(program, common);

  program
    .command('mcp')
    .description(
      "The platform's MCP server on stdio (for agents that start local servers): relays to a gateway's /mcp with a write key",
    )
    .option('--url <url>', 'the gateway (default GATEWAY_URL, then http://127.0.0.1:8080)')
    .option('--write-key <key>', 'the write key (default GATEWAY_WRITE_KEY; prefer the variable)')
    .action(async (options: { url?: string; writeKey?: string }) => {
      const key = options.writeKey ?? process.env['GATEWAY_WRITE_KEY'] ?? '';
      if (key === '')
        throw new UsageError('mcp needs a write key: GATEWAY_WRITE_KEY or --write-key');
      const base = options.url ?? process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:8080';
      let url: URL;
      try {
        url = new URL('/mcp', base);
      } catch {
        throw new UsageError(`--url ${base}: not a URL`);
      }
      await serveStdio(url, key);
    });
  return program;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addDlqCommands(program: Command, common: (cmd: Command) => Command): void {
  const dlq = program
    .command('dlq')
    .description('Dead letters (<topics.dlq>.*): list by reason, show one, replay after a fix');
  const topics = (cmd: Command): Command =>
    common(cmd).option(
      '--topic <topic>',
      'a dead-letter topic to read (repeatable; default: every <topics.dlq>.* topic)',
      collect,
    );

  topics(dlq.command('list'))
    .description('Dead letters grouped by service, error code and reason, the largest group first')
    .action(async (options: Common & DlqOptions) => {
      const groups = await listDeadLetters(options);
      if (options.json) {
        console.log(JSON.stringify(groups));
        return;
      }
      console.log(
        groups.length === 0
          ? '(no dead letters)'
          : table(
              groups.map((g) => ({
                count: String(g.count),
                service: g.service,
                code: g.code,
                reason: g.reason.length > 100 ? `${g.reason.slice(0, 99)}…` : g.reason,
                last_failed_at: g.last_failed_at,
                first_record: g.records[0] ?? '',
              })),
            ),
      );
    });

  topics(dlq.command('show'))
    .description('One dead letter: source coordinates, error, headers and its value, readable')
    .argument('<record>', 'the dead letter as topic:partition:offset (see list)')
    .action(async (record: string, options: Common & DlqOptions) => {
      console.log(JSON.stringify(await showDeadLetter(record, options), null, 2));
    });

  topics(dlq.command('replay'))
    .description(
      'Replays the selected dead letters to their source topic, once per event_id, under the current contract; every outcome goes to the audit log (dlq_replays)',
    )
    .option('--record <record>', 'a dead letter as topic:partition:offset (repeatable)', collect)
    .option('--service <service>', 'letters of this service (ingestion-gateway, sink-writer, …)')
    .option('--code <code>', 'letters with this error code')
    .option('--reason <text>', 'letters whose reason contains this text')
    .option('--all', 'every dead letter')
    .option('--dry-run', 'show what would be replayed; send and record nothing')
    .action(async (options: Common & ReplayOptions) => {
      const outcomes = await replayDeadLetters(options);
      if (options.json) console.log(JSON.stringify(outcomes));
      else {
        for (const o of outcomes)
          console.log(
            [o.outcome, o.dead_letter, o.replay_id, o.target_topic ?? '', o.reason ?? '']
              .join('  ')
              .trimEnd(),
          );
        const count = (k: string): number => outcomes.filter((o) => o.outcome === k).length;
        console.log(
          `${outcomes.length} selected: ${count('replayed')} replayed, ${count('already_replayed')} already replayed, ${count('failed')} still failing${options.dryRun ? `, ${count('would_replay')} would be replayed` : ''}`,
        );
      }
      if (outcomes.some((o) => o.outcome === 'failed')) process.exitCode = 1;
    });
}

if (require.main === module) {
  installProcessFailureHandler({ app: 'ingestion-gateway-cli' });
  // --namespace and --domain-file (as NAMESPACE and DOMAIN_FILE) reach the config and settings.
  Promise.resolve()
    .then(() =>
      buildProgram().parseAsync([
        ...process.argv.slice(0, 2),
        ...takeRunFlags(process.argv.slice(2), process.env, { keepDomain: true }),
      ]),
    )
    .then(() => exitWhenFlushed(process.exitCode === 1 ? 1 : 0))
    .catch((err: unknown) => {
      const code = (err as { code?: string }).code;
      if (code === 'commander.helpDisplayed' || code === 'commander.version') {
        exitWhenFlushed(0);
        return;
      }
      console.error(`gateway: ${err instanceof Error ? err.message : String(err)}`);
      exitWhenFlushed(err instanceof UsageError ? 2 : 1);
    });
}
