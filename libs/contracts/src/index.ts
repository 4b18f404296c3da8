export * from './model';
export * from './naming';
export * from './lookup';
export { validateDomainModel, fieldsOf, parseDuration } from './validate';
export type { ContractIssue, DomainValidation } from './validate';
export {
  boundFailures,
  DEFAULT_EVENT_TIME_BOUNDS,
  ENTITY_KEY_MAX_LENGTH,
  EventContracts,
  failuresOf,
  hasLoneSurrogate,
  MAX_FAILURES,
  requestJsonSchema,
  STORABLE_TIME_MAX_MS,
  truncateText,
} from './event-contracts';
export type {
  EventContractsOptions,
  EventValue,
  FieldFailure,
  FillIns,
  ValidEvent,
  ValidationResult,
} from './event-contracts';
export { FILTER_OPERATORS, WINDOW_START, WINDOW_END } from './query-vocabulary';
export type { FilterOperator } from './query-vocabulary';
export { dataContract } from './data-contract';
export { randomEventId, uuidText } from './event-id';
export { openApiDocument, docsPage } from './openapi';
export type { RequestBodySchemas } from './openapi';
export {
  coerceJson,
  coerceText,
  eventFromJsonRecord,
  eventFromTextRecord,
  valueAtPath,
} from './record-mapping';
export type { Coercion, FieldMapping } from './record-mapping';
export { loadPluginModule } from './plugin-module';
export type { PluginKind } from './plugin-module';
