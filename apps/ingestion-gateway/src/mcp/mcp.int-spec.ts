import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { PlatformConfig } from '@platform/config';
import { aggregateTable, eventTopic, findAggregation } from '@platform/contracts';
import { aggregateTableSchema, PostgresSink } from '@platform/sink-adapters';
import {
  REPO_ROOT,
  startSchemaRegistry,
  uniqueName,
  type RegistryProcess,
} from '@platform/testing';
import { join } from 'node:path';
import {
  avroDecoder,
  configOf,
  createWriteKey,
  http,
  readTopic,
  removeTestEnv,
  startGateway,
  testEnv,
  testKafka,
  type RunningGateway,
  type TestEnv,
} from '../testing/gateway-harness';

/**
 * The MCP server driven by the SDK's own client over both transports: streamable HTTP on the
 * gateway's /mcp (write key in the header), and stdio (`gateway mcp` as a child process, the
 * way an agent starts it). Each lists the tools, runs a query whose rows equal /v1/query's,
 * and posts an event that lands in Kafka.
 */
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

describe('MCP server', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  let sink: PostgresSink;
  let key: string;
  const namespace = uniqueName('gwmcp');
  const queryBody = {
    aggregation: 'page_views_per_minute',
    time_range: { from: T0, to: T0 + 10 * MINUTE },
    group_by: ['device_type'],
    order_by: [{ field: 'device_type', direction: 'asc' }],
  };

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, {
      GATEWAY_QUERY_BACKEND: 'postgres',
      PLATFORM__postgres__schema: namespace,
    });
    config = await configOf(t);
    sink = new PostgresSink({ settings: config.postgres });
    await sink.connect();
    const views = findAggregation(config.model, 'page_views_per_minute');
    if (views === undefined) throw new Error('page_views_per_minute missing');
    const table = aggregateTable(views);
    const schema = aggregateTableSchema(views, config.model);
    await sink.createTable(table, schema);
    const rows = [];
    for (let m = 0; m < 10; m++)
      for (const [d, device] of ['desktop', 'mobile', 'tablet'].entries())
        rows.push({
          window_start: T0 + m * MINUTE,
          window_end: T0 + (m + 1) * MINUTE,
          device_type: device,
          value: m + d + 1,
          event_count: m + d + 1,
          version: 1,
        });
    await sink.writeRows(
      table,
      rows,
      schema.columns.map((c) => c.name),
    );
    gateway = await startGateway(t);
    key = (await createWriteKey(t, config, 'agent')).key;
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await sink?.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
    await sink?.close();
    await removeTestEnv(t);
    await registry?.stop();
  }, 60_000);

  const transports: Record<string, () => Transport> = {
    'streamable HTTP': () =>
      new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), {
        requestInit: { headers: { 'x-write-key': key } },
      }),
    stdio: () =>
      new StdioClientTransport({
        command: process.execPath,
        args: [
          '-r',
          'ts-node/register/transpile-only',
          '-r',
          'tsconfig-paths/register',
          join(REPO_ROOT, 'apps/ingestion-gateway/src/cli.ts'),
          'mcp',
          '--url',
          gateway.url,
        ],
        cwd: REPO_ROOT,
        env: {
          ...(process.env as Record<string, string>),
          ...t.env,
          TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
          GATEWAY_WRITE_KEY: key,
        },
        stderr: 'inherit',
      }),
  };

  it.each(Object.keys(transports))(
    'over %s: lists the tools, queries like /v1/query, posts an event that lands in Kafka',
    async (name) => {
      const client = new Client({ name: 'mcp-int-test', version: '1.0.0' });
      await client.connect((transports[name] as () => Transport)());
      try {
        const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
        expect(tools).toEqual(['describe', 'list_contracts', 'post_events', 'query', 'subscribe']);
        const resources = (await client.listResources()).resources.map((r) => r.uri).sort();
        expect(resources).toEqual(['contract://ecommerce', 'openapi://ingestion-gateway']);

        const viaHttp = await http(`${gateway.url}/v1/query`, { key, body: queryBody });
        expect(viaHttp.status).toBe(200);
        const viaMcp = await client.callTool({ name: 'query', arguments: { query: queryBody } });
        expect(viaMcp.isError).toBeFalsy();
        const answer = viaMcp.structuredContent as { rows: unknown[] };
        expect(answer.rows).toHaveLength(3);
        expect(answer.rows).toEqual(viaHttp.body.rows);

        const described = await client.callTool({
          name: 'describe',
          arguments: { name: 'page_view' },
        });
        expect(described.structuredContent).toMatchObject({
          kind: 'event_type',
          topic: eventTopic(config.topics, 'page_view'),
        });

        const refused = await client.callTool({
          name: 'query',
          arguments: { query: { ...queryBody, aggregation: 'nope' } },
        });
        expect(refused.isError).toBe(true);
        expect(JSON.stringify(refused.content)).toContain('unknown aggregation');

        const url = `/mcp-${name.replace(/\W/g, '')}`;
        const posted = await client.callTool({
          name: 'post_events',
          arguments: {
            events: [
              {
                type: 'page_view',
                event: { user_id: 'agent', page_url: url, device_type: 'mobile', country: 'US' },
              },
            ],
          },
        });
        expect(posted.isError).toBeFalsy();
        const result = posted.structuredContent as {
          status: number;
          results: { event_id: string; status: string }[];
        };
        expect(result.status).toBe(202);
        expect(result.results[0]?.status).toBe('accepted');
        const decode = avroDecoder(registry.url);
        const records = await readTopic(testKafka(config), eventTopic(config.topics, 'page_view'));
        const landed = await Promise.all(records.map((r) => decode(r.value)));
        expect(landed.filter((e) => e['page_url'] === url)).toEqual([
          expect.objectContaining({ event_id: result.results[0]?.event_id, user_id: 'agent' }),
        ]);
      } finally {
        await client.close();
      }
    },
    120_000,
  );

  it('refuses a request without a write key with 401, before MCP is spoken', async () => {
    const res = await http(`${gateway.url}/mcp`, {
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      headers: { accept: 'application/json, text/event-stream' },
    });
    expect(res.status).toBe(401);
  });
});
