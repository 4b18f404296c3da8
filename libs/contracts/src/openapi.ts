import type { z } from 'zod';
import { requestJsonSchema, type EventContracts } from './event-contracts';
import type { DomainModel } from './model';

type Json = Record<string, unknown>;

/** Zod schemas of the gateway's request bodies that are not events. */
export interface RequestBodySchemas {
  readonly batchItem: z.ZodType;
  readonly batch: z.ZodType;
  readonly query: z.ZodType;
  readonly subscription: z.ZodType;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
/** The events routes also read `text/plain` as JSON, for `navigator.sendBeacon`. */
const jsonOrText = (schema: Json): Json => ({
  'application/json': { schema },
  'text/plain': { schema },
});

/** Request bodies may be compressed; other routes take only identity. */
const CONTENT_ENCODING = {
  name: 'Content-Encoding',
  in: 'header',
  required: false,
  description:
    'gzip or deflate bodies are decompressed, up to the body size limit (413 above it); any other encoding is 415, and a body that does not decode as labelled is 400',
  schema: { enum: ['gzip', 'x-gzip', 'deflate', 'identity'] },
};

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        failures: {
          type: 'array',
          maxItems: 100,
          items: ref('FieldFailure'),
          description: 'At most 100; failures_omitted counts the rest',
        },
        failures_omitted: { type: 'integer', minimum: 1 },
        event_id: {
          type: 'string',
          description:
            'On a 503 for one event: its event_id (the one generated when absent). The event may still land; retry with this id and it is stored once.',
        },
      },
    },
  },
};

const errors = (...codes: (number | [number, string])[]): Json =>
  Object.fromEntries(
    codes.map((entry) => {
      const [c, own] = typeof entry === 'number' ? [entry, undefined] : entry;
      return [
        String(c),
        {
          description:
            own ??
            {
              400: 'Invalid input, with per-field reasons',
              401: 'Missing or unknown write key',
              403: 'Write key revoked or not allowed for this event type',
              404: 'Unknown event type or subscription',
              408: 'The request (headers or body) did not arrive within the timeout',
              413: 'Body or batch over the limit',
              415: 'Not JSON',
              429: 'Rate limit of the write key; see Retry-After',
              503: 'Kafka (or a backend) unavailable or draining; see Retry-After',
            }[c] ??
            'Error',
          content: json(ref('Error')),
        },
      ];
    }),
  );

/**
 * OpenAPI 3.1, generated from the same zod schemas the gateway validates with (one per
 * event type, built from the contract), so the document cannot drift from behaviour.
 */
export function openApiDocument(
  model: DomainModel,
  contracts: EventContracts,
  bodies: RequestBodySchemas,
  serverUrl?: string,
): Json {
  const schemas: Json = {
    Error: ERROR,
    FieldFailure: {
      type: 'object',
      required: ['field', 'reason'],
      properties: { field: { type: 'string' }, reason: { type: 'string' } },
    },
    BatchItem: requestJsonSchema(bodies.batchItem),
    Batch: requestJsonSchema(bodies.batch),
    QueryRequest: requestJsonSchema(bodies.query),
    SubscriptionRequest: requestJsonSchema(bodies.subscription),
  };
  const paths: Json = {};
  const security = [{ writeKey: [] }, { bearer: [] }];
  for (const type of contracts.eventTypes) {
    const name = `Event_${type}`;
    schemas[name] = contracts.jsonSchemaOf(type);
    const spec = model.eventTypes.find((e) => e.name === type);
    paths[`/v1/events/${type}`] = {
      post: {
        operationId: `send_${type}`,
        summary: `Send one ${type} event`,
        description: spec?.description,
        tags: ['events'],
        security,
        parameters: [CONTENT_ENCODING],
        requestBody: { required: true, content: jsonOrText(ref(name)) },
        responses: {
          '202': {
            description:
              "Acknowledged by Kafka (or a duplicate event_id within the idempotency window), or stopped on purpose by one of the domain's processors: dropped, or dead-lettered (kept in the dead-letter topic with the reason)",
            content: json({
              type: 'object',
              required: ['status'],
              properties: {
                event_id: { type: 'string' },
                status: { enum: ['accepted', 'duplicate', 'dropped', 'dead_lettered'] },
                reason: {
                  type: 'string',
                  description: 'Why a processor dropped or dead-lettered it',
                },
              },
            }),
          },
          ...errors(
            [
              400,
              'Invalid event (per-field reasons: types, enums, well-formed Unicode, entity key, event time bounds), malformed JSON, or a body that does not decode as its Content-Encoding',
            ],
            401,
            403,
            408,
            413,
            [415, 'Not JSON (application/json or text/plain), or an unsupported Content-Encoding'],
            429,
            [
              503,
              'Kafka did not acknowledge in time; see Retry-After. The body carries the event_id: retry with it',
            ],
          ),
        },
      },
    };
  }
  schemas['BatchItem'] = {
    oneOf: contracts.eventTypes.map((type) => ({
      type: 'object',
      required: ['type', 'event'],
      additionalProperties: false,
      properties: { type: { const: type }, event: ref(`Event_${type}`) },
    })),
  };
  paths['/v1/events'] = {
    post: {
      operationId: 'send_batch',
      summary: 'Send a batch of events of mixed types; every event gets its own result',
      tags: ['events'],
      security,
      parameters: [CONTENT_ENCODING],
      requestBody: {
        required: true,
        content: jsonOrText({
          type: 'object',
          required: ['events'],
          properties: { events: { type: 'array', items: ref('BatchItem') }, sent_at: {} },
        }),
      },
      responses: {
        '202': {
          description:
            'Every accepted event acknowledged by Kafka; per-event results (accepted, duplicate, dropped or dead_lettered by a processor, rejected with field reasons)',
        },
        '400': { description: 'No event accepted, dropped or dead-lettered; per-event results' },
        '503': { description: 'Some events not acknowledged (status failed): retry those' },
        ...errors(401, 408, 413, 415, 429),
      },
    },
  };
  paths['/v1/contract'] = {
    get: {
      operationId: 'contract',
      summary: 'The data contract: schemas, version, mode, SLA',
      tags: ['contracts'],
      responses: { '200': { description: 'The contract' } },
    },
  };
  paths['/v1/contracts/{domain}'] = {
    get: {
      operationId: 'contract_of_domain',
      summary: 'The data contract of a domain',
      tags: ['contracts'],
      parameters: [{ name: 'domain', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The contract' }, ...errors(404) },
    },
  };
  paths['/v1/query'] = {
    post: {
      operationId: 'query',
      summary: 'Query an aggregation (sync mode)',
      tags: ['query'],
      security,
      requestBody: { required: true, content: json(ref('QueryRequest')) },
      responses: {
        '200': { description: 'Rows and column metadata' },
        ...errors(
          400,
          401,
          403,
          [
            404,
            'TABLE_NOT_FOUND: the aggregation has no table yet (nothing written); not the same as no rows',
          ],
          408,
          415,
          429,
          503,
        ),
      },
    },
  };
  paths['/v1/subscribe'] = {
    post: {
      operationId: 'subscribe',
      summary: 'Subscribe to matching events (async mode): {subscription_id, topic, schema}',
      tags: ['subscriptions'],
      security,
      requestBody: { required: true, content: json(ref('SubscriptionRequest')) },
      responses: {
        '201': { description: 'Created' },
        ...errors(400, 401, 403, 408, 415, 429, 503),
      },
    },
  };
  paths['/v1/subscribe/{id}'] = {
    get: {
      operationId: 'subscription',
      tags: ['subscriptions'],
      security,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The subscription' }, ...errors(401, 404) },
    },
    delete: {
      operationId: 'unsubscribe',
      tags: ['subscriptions'],
      security,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '204': { description: 'Ended' }, ...errors(401, 404) },
    },
  };
  for (const probe of ['/healthz', '/readyz', '/metrics']) {
    paths[probe] = { get: { tags: ['operations'], responses: { '200': { description: 'OK' } } } };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Ingestion gateway: ${model.domain}`,
      version: model.version,
      description: model.contract.description ?? '',
    },
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
    paths,
    components: {
      schemas,
      securitySchemes: {
        writeKey: { type: 'apiKey', in: 'header', name: 'x-write-key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small HTML page over the document: every operation and its request schema. */
export function docsPage(document: Json): string {
  const paths = document['paths'] as Record<
    string,
    Record<string, { summary?: string; requestBody?: unknown }>
  >;
  const rows = Object.entries(paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary ?? '')}</td></tr>`,
      ),
    )
    .join('\n');
  const info = document['info'] as { title: string; version: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td{padding:.2rem .8rem;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>OpenAPI 3.1 document: <a href="/docs/openapi.json">/docs/openapi.json</a> (load it in any OpenAPI viewer). Data contract: <a href="/v1/contract">/v1/contract</a>.</p>
<table>${rows}</table>
</body></html>`;
}
