import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { PlatformConfig } from '@platform/config';
import { z } from 'zod';
import type { WriteKeyAuthService } from '../auth/write-key-auth.service';
import type { WriteKeyRecord } from '../auth/write-keys';
import type { EventsService } from '../events/events.service';
import { errorBody, GatewayError } from '../http/gateway.error';
import type { QueryService } from '../query/query.service';
import { planSubscription } from '../subscriptions/subscription-request';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service';

/** What the MCP tools act through: the same services, checks and documents as the HTTP API. */
export interface McpDependencies {
  readonly config: PlatformConfig;
  readonly auth: WriteKeyAuthService;
  readonly events: EventsService;
  readonly query: QueryService;
  readonly subscriptions: SubscriptionsService;
  /** `GET /v1/contract` and `GET /docs/openapi.json`. */
  readonly contract: Record<string, unknown>;
  readonly openapi: Record<string, unknown>;
}

const json = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  structuredContent: value as Record<string, unknown>,
});

/** A refusal goes back to the agent as an error result with the gateway's error body. */
async function answer(run: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return json(await run());
  } catch (error) {
    const refused =
      error instanceof GatewayError
        ? error
        : new GatewayError(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(errorBody(refused)) }] };
  }
}

/**
 * The platform as an MCP server for one caller (its write key): tools to list the contracts,
 * describe an event type or aggregation, run a structured query, subscribe, and post events;
 * the data contract and the OpenAPI document as resources. Every tool goes through the
 * service the HTTP route uses, with the key's rate limit and event-type permissions.
 */
export function buildMcpServer(deps: McpDependencies, key: WriteKeyRecord): McpServer {
  const server = new McpServer({ name: 'streaming-platform', version: deps.config.version });
  const domain = deps.config.model.domain;
  const contract = deps.contract as {
    event_types: { name: string; description: string | null }[];
    aggregations: { name: string; description: string | null; event_type: string }[];
  };

  server.registerTool(
    'list_contracts',
    {
      description: `The ${domain} domain's event types and aggregations, with descriptions`,
      inputSchema: {},
    },
    () =>
      answer(async () => ({
        domain,
        version: deps.contract['version'],
        event_types: contract.event_types.map((e) => ({
          name: e.name,
          description: e.description,
        })),
        aggregations: contract.aggregations.map((a) => ({
          name: a.name,
          description: a.description,
          event_type: a.event_type,
        })),
      })),
  );

  server.registerTool(
    'describe',
    {
      description:
        'An event type (fields, topic, Avro and request JSON schema) or an aggregation (window, group-by, table, query options), as in the data contract',
      inputSchema: { name: z.string().max(64) },
    },
    ({ name }) =>
      answer(async () => {
        const eventType = contract.event_types.find((e) => e.name === name);
        if (eventType !== undefined) return { kind: 'event_type', ...eventType };
        const aggregation = contract.aggregations.find((a) => a.name === name);
        if (aggregation !== undefined) return { kind: 'aggregation', ...aggregation };
        throw new GatewayError(404, 'NOT_FOUND', `no event type or aggregation named ${name}`, {
          failures: [
            {
              field: 'name',
              reason: `known: ${[...contract.event_types, ...contract.aggregations].map((x) => x.name).join(', ')}`,
            },
          ],
        });
      }),
  );

  server.registerTool(
    'query',
    {
      description:
        'A structured query, the body of POST /v1/query: an aggregation summary ({aggregation, time_range, filters?, group_by?, order_by?, limit?}) or a time series ({event_type|aggregation, time_range, bucket?, latest?, value?, ...})',
      inputSchema: { query: z.record(z.string(), z.unknown()) },
    },
    ({ query }) =>
      answer(async () => {
        deps.auth.limit(key, 1);
        return deps.query.run(query, (eventType) => deps.auth.authorize(key, eventType));
      }),
  );

  server.registerTool(
    'subscribe',
    {
      description:
        'Subscribes to events of some types (with filters), as POST /v1/subscribe: returns the Kafka topic the matching events go to',
      inputSchema: {
        event_types: z.array(z.string().max(64)).min(1),
        filters: z.array(z.record(z.string(), z.unknown())).optional(),
      },
    },
    (input) =>
      answer(async () => {
        deps.auth.limit(key, 1);
        const planned = planSubscription(deps.config.model, input);
        if (!planned.ok) throw GatewayError.invalid('invalid subscription', planned.failures);
        for (const type of planned.spec.eventTypes) deps.auth.authorize(key, type);
        return deps.subscriptions.create(planned.spec, key.source);
      }),
  );

  server.registerTool(
    'post_events',
    {
      description:
        'Sends events, as POST /v1/events: each is checked against the contract and acknowledged once Kafka has it; per-event results with field reasons for refusals',
      inputSchema: {
        events: z
          .array(
            z.strictObject({ type: z.string().max(64), event: z.record(z.string(), z.unknown()) }),
          )
          .min(1),
      },
    },
    ({ events }) =>
      answer(async () => {
        const result = await deps.events.ingestBatch(key, { events }, (cost) =>
          deps.auth.limit(key, cost),
        );
        // The HTTP status the route would answer (202, 400, 503), with the per-event results.
        return {
          status: result.status,
          ...(result.retryAfterSeconds === undefined
            ? {}
            : { retry_after_seconds: result.retryAfterSeconds }),
          ...result.body,
        };
      }),
  );

  server.registerResource(
    'data-contract',
    `contract://${domain}`,
    { description: `The ${domain} data contract (GET /v1/contract)`, mimeType: 'application/json' },
    (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(deps.contract) },
      ],
    }),
  );
  server.registerResource(
    'openapi',
    'openapi://ingestion-gateway',
    { description: 'The HTTP API (GET /docs/openapi.json)', mimeType: 'application/json' },
    (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(deps.openapi) },
      ],
    }),
  );
  return server;
}
