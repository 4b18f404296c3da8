// The one public door of @platform/config.
export { load, loadWithProvenance, findConfigDir } from './lib/loader';
export type { LoadOptions, LoadedConfig } from './lib/loader';
export { deepMerge, deepMergeAll } from './lib/deep-merge';
export { redact, MASK } from './lib/redact';
export { explain, formatExplanation } from './lib/explain';
export {
  DOMAIN_FILE_ENV,
  NAMESPACE_ENV,
  kafkaName,
  namespaceOf,
  serviceNames,
  sqlName,
  takeRunFlags,
} from './lib/namespace';
export type { ServiceNames } from './lib/namespace';
export type { Explanation, ExplainEntry } from './lib/explain';
export { ConfigError, isConfigError } from './lib/config.error';
export type { ConfigErrorCode, ConfigIssue } from './lib/config.error';
export { formatPath } from './lib/path';
export type { ConfigPath } from './lib/path';
export { sourceOf } from './lib/provenance';
export type { Provenance } from './lib/provenance';
export { parseBootstrapUri, parseEnvValue } from './lib/env-overrides';
export type { Env } from './lib/env-overrides';
export { isHostPort, platformSectionsSchema } from './lib/platform-config.schema';
export { clickhouseAgent, pgConnection, tlsOptions, typeormPostgres } from './lib/connections';
export { configLoadOptions, withConfigFlags } from './lib/cli-flags';
export type { ConfigFlags } from './lib/cli-flags';
export type { TlsConnectOptions } from './lib/connections';
export {
  APP_SECTIONS,
  GENERATOR_TEXT,
  SINK_WRITER_STREAMS,
  aggregatorSection,
  gatewaySection,
  generatorSection,
  loadAppSettings,
  readAppSection,
  registrySection,
  sinkWriterSection,
  traceSampleRatioSchema,
} from './lib/app-settings';
export type {
  AggregatorSectionSettings,
  AppSection,
  GatewaySettings,
  GeneratorSectionSettings,
  ReadSection,
  RegistrySettings,
  SinkWriterSettings,
  TextReader,
} from './lib/app-settings';
export type {
  PlatformConfig,
  PlatformSettings,
  KafkaSettings,
  TlsSettings,
  KafkaSaslSettings,
  TopicPrefixes,
  SchemaRegistrySettings,
  ClickHouseSettings,
  PostgresSettings,
  SecretsSettings,
  LoggingSettings,
} from './lib/platform-config.schema';
export { createSecretBackend } from './lib/secrets/secret-backend.factory';
export type { SecretBackendContext } from './lib/secrets/secret-backend.factory';
export type {
  SecretBackend,
  SecretBackendHealth,
  SecretBackendName,
} from './lib/secrets/secret-backend';
export { EnvSecretBackend } from './lib/secrets/env-secret.backend';
export { FileSecretBackend } from './lib/secrets/file-secret.backend';
export { VaultSecretBackend } from './lib/secrets/vault-secret.backend';
export type { VaultSecretBackendOptions } from './lib/secrets/vault-secret.backend';
export {
  PlatformConfigModule,
  PLATFORM_CONFIG,
  LOADED_PLATFORM_CONFIG,
  InjectPlatformConfig,
} from './lib/platform-config.module';
export {
  PLATFORM_CONFIG_MODULE_OPTIONS,
  type PlatformConfigModuleOptions,
} from './lib/platform-config.module-definition';
