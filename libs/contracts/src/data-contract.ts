import type { EventContracts } from './event-contracts';
import { entityOf } from './lookup';
import type { AggregationSpec, DomainModel } from './model';
import {
  aggregateTable,
  aggregateTopic,
  eventTopic,
  valueSubject,
  type TopicPrefixes,
} from './naming';
import { FILTER_OPERATORS, WINDOW_START } from './query-vocabulary';

/**
 * The data contract (`GET /v1/contract`): schemas, version, mode and SLA. Pure: the Avro
 * schema of each event type is passed in (`generateAllSchemas` of @platform/schema-registry,
 * which builds on this library).
 */
export function dataContract(
  config: { readonly model: DomainModel; readonly topics: TopicPrefixes },
  contracts: EventContracts,
  avroSchemas: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const { model } = config;
  return {
    domain: model.domain,
    version: model.version,
    description: model.contract.description ?? null,
    mode: model.contract.mode,
    namespace: model.contract.namespace,
    sla: {
      freshness_ms: model.contract.sla.freshnessMs,
      completeness: model.contract.sla.completeness,
    },
    event_types: model.eventTypes.map((e) => {
      const entity = entityOf(model, e);
      const topic = eventTopic(config.topics, e.name);
      return {
        name: e.name,
        description: e.description ?? null,
        entity: entity.name,
        primary_key: entity.primaryKey,
        topic,
        subject: valueSubject(topic),
        endpoint: `/v1/events/${e.name}`,
        fields: [...(contracts.fieldsOf(e.name) ?? new Map())].map(([name, info]) => {
          const spec = [...e.attributes, ...e.dimensions].find((f) => f.name === name);
          return {
            name,
            type: info.type,
            required: info.required,
            role:
              name === 'event_id' || name === 'timestamp'
                ? 'envelope'
                : name === entity.primaryKey
                  ? 'key'
                  : e.dimensions.some((d) => d.name === name)
                    ? 'dimension'
                    : 'attribute',
            ...(spec?.values === undefined ? {} : { values: spec.values }),
            ...(spec?.min === undefined ? {} : { min: spec.min }),
            ...(spec?.max === undefined ? {} : { max: spec.max }),
            ...(spec?.description === undefined ? {} : { description: spec.description }),
          };
        }),
        schema: avroSchemas[e.name],
        request_schema: contracts.jsonSchemaOf(e.name),
      };
    }),
    aggregations: model.aggregations.map((a: AggregationSpec) => ({
      name: a.name,
      description: a.description ?? null,
      event_type: a.eventType,
      type: a.type,
      field: a.field ?? null,
      window: a.window,
      group_by: a.groupBy,
      table: aggregateTable(a),
      topic: aggregateTopic(config.topics, a.name),
      query: {
        group_by: [...a.groupBy, WINDOW_START],
        filter_fields: a.groupBy,
        operators: FILTER_OPERATORS,
      },
    })),
    endpoints: {
      events: 'POST /v1/events/{type}',
      batch: 'POST /v1/events',
      query: 'POST /v1/query',
      subscribe: 'POST /v1/subscribe',
      unsubscribe: 'DELETE /v1/subscribe/{id}',
      openapi: 'GET /docs/openapi.json',
    },
  };
}
