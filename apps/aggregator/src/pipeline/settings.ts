// The aggregator's own settings: the `aggregator` section of the platform config
// (`AGGREGATOR_*`, see libs/config app-settings.ts); the platform config gives Kafka, topics
// and the registry.
import {
  aggregatorSection,
  loadAppSettings,
  serviceNames,
  type AggregatorSectionSettings,
  type Env,
} from '@platform/config';

/**
 * `appId`: the consumer group id and prefix of internal topics and transactional ids, with
 * the run's namespace; `port` and `host` are where `run` listens.
 */
export type AggregatorSettings = AggregatorSectionSettings;

/** Reads `AGGREGATOR_*` (and `PORT`, `HOST`); one ConfigError lists every bad variable. */
export function readSettings(env: Env): AggregatorSettings {
  const settings = loadAppSettings(aggregatorSection, env);
  // AGGREGATOR_APP_ID (default `aggregator`), prefixed by the run's namespace (NAMESPACE).
  return { ...settings, appId: serviceNames(env).aggregatorAppId };
}
