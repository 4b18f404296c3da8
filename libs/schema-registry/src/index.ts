export {
  AGGREGATE_EVENT_COUNT_FIELD,
  AGGREGATE_RESERVED_FIELDS,
  AGGREGATE_VALUE_FIELD,
  AGGREGATE_VERSION_FIELD,
  AGGREGATE_WINDOW_END_FIELD,
  AGGREGATE_WINDOW_START_FIELD,
  DEFAULT_EVENT_NAMESPACE,
  TIMESTAMP_MILLIS,
  aggregateNamespace,
  avroTypeOf,
  generateAggregateSchema,
  generateAllAggregateSchemas,
  generateAllSchemas,
  generateEventSchema,
  toJson,
} from './avro-schema';
export type {
  AvroField,
  AvroFieldType,
  AvroNullable,
  AvroPrimitiveName,
  AvroRecordSchema,
  AvroTimestampMillis,
  AvroValueType,
} from './avro-schema';
export {
  EXACT_LONG,
  LOGICAL_TYPES,
  TimestampMillisType,
  canonicalJson,
  forSchema,
} from './avro-types';
export {
  COMPATIBILITY_LEVELS,
  checkCompatibility,
  isCompatibilityLevel,
  parseSchema,
  readProblems,
} from './compatibility';
export { avroCanonicalForm } from './canonical-form';
export type { CompatibilityLevel, CompatibilityResult, ParsedSchema } from './compatibility';
export { SERDE_ERROR_CODES, SerdeError, isSerdeError } from './serde.error';
export type { SerdeErrorCode, SerdeErrorOptions, SerdeIssue } from './serde.error';
export { AvroSerde, encodeFramed, validate } from './serde';
export { modelSerde } from './model-serde';
export type { ModelSerde } from './model-serde';
export type { SchemaInput, SchemaLookup } from './serde';
export {
  FRAME_HEADER_LENGTH,
  MAGIC_BYTE,
  MAX_SCHEMA_ID,
  decodeFrame,
  encodeFrame,
} from './wire-format';
export type { Frame } from './wire-format';
export {
  SCHEMA_REGISTRY_CONTENT_TYPE,
  SchemaRegistryClient,
} from './client/schema-registry.client';
export type {
  CompatibilityTarget,
  GetConfigOptions,
  RegistryCompatibility,
  RetryOptions,
  SchemaRegistryClientOptions,
  SubjectSchema,
} from './client/schema-registry.client';
export {
  CONFLUENT_ERROR_CODES,
  SchemaRegistryError,
  isSchemaRegistryError,
  isSubjectNotFound,
} from './client/schema-registry.error';
export type {
  SchemaRegistryErrorOptions,
  SchemaRegistryFailure,
} from './client/schema-registry.error';
export {
  checkAgainstBaseline,
  checkAgainstRegistry,
  contractSchemas,
  formatCheckReport,
  readBaseline,
  registerContracts,
  writeBaseline,
} from './cli/contracts-check';
export type {
  ContractSchema,
  ContractsCheckReport,
  ContractsRegistry,
  RegisteredContract,
  SubjectCheck,
  SubjectStatus,
} from './cli/contracts-check';
