import { AggregationSpec, DomainModel, EntitySpec, EventTypeSpec } from './model';

export function findEventType(model: DomainModel, name: string): EventTypeSpec | undefined {
  return model.eventTypes.find((e) => e.name === name);
}

export function findAggregation(model: DomainModel, name: string): AggregationSpec | undefined {
  return model.aggregations.find((a) => a.name === name);
}

/** The entity an event type belongs to. Validation guarantees it exists. */
export function entityOf(model: DomainModel, eventType: EventTypeSpec): EntitySpec {
  const entity = model.entities.find((e) => e.name === eventType.entity);
  if (!entity)
    throw new Error(
      `event type "${eventType.name}" refers to unknown entity "${eventType.entity}"`,
    );
  return entity;
}
