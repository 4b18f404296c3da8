/** What Confluent answers with, on success and on error. */
export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Request bodies are JSON under any of these types; anything else is a 415. */
export const ACCEPTED_CONTENT_TYPES = [
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/json',
  'application/octet-stream',
] as const;
