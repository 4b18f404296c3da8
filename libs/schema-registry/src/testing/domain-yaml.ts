// Test support only (not exported from index.ts): the shipped ecommerce domain YAML, edited.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { validateDomainModel, type DomainModel } from '@platform/contracts';

export const ECOMMERCE_YAML_PATH = join(__dirname, '../../../../config/domains/ecommerce.yaml');

interface EventTypeYaml {
  name: string;
  attributes?: Record<string, unknown>[];
  dimensions?: Record<string, unknown>[];
}

/** The ecommerce YAML after `edit` changes the parsed document, as YAML text. */
export function editedEcommerceYaml(edit: (doc: { event_types: EventTypeYaml[] }) => void): string {
  const doc = parse(readFileSync(ECOMMERCE_YAML_PATH, 'utf8')) as { event_types: EventTypeYaml[] };
  edit(doc);
  return stringify(doc);
}

export function modelOf(yamlText: string): DomainModel {
  const result = validateDomainModel(parse(yamlText));
  if (!result.ok) throw new Error(`invalid domain: ${JSON.stringify(result.issues)}`);
  return result.model;
}

export function eventType(doc: { event_types: EventTypeYaml[] }, name: string): EventTypeYaml {
  const found = doc.event_types.find((e) => e.name === name);
  if (!found) throw new Error(`no event type ${name}`);
  return found;
}

/** Purchase gains a required dimension: old events have no value for it. */
export const addRequiredDimension = (doc: { event_types: EventTypeYaml[] }): void => {
  eventType(doc, 'purchase').dimensions?.push({ name: 'gift_wrap', type: 'boolean' });
};

/** Purchase gains an optional attribute: old events read it as null. */
export const addOptionalAttribute = (doc: { event_types: EventTypeYaml[] }): void => {
  eventType(doc, 'purchase').attributes?.push({ name: 'gift_message', type: 'string' });
};
