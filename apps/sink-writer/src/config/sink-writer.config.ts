import {
  loadAppSettings,
  serviceNames,
  sinkWriterSection,
  type Env,
  type SinkWriterSettings,
} from '@platform/config';

export type { SinkWriterSettings } from '@platform/config';

/**
 * The `sink_writer` section of the platform config (the SINK_WRITER_* variables, PORT and
 * HOST); one ConfigError lists every bad variable.
 */
export function loadSinkWriterSettings(env: Env): SinkWriterSettings {
  const settings = loadAppSettings(sinkWriterSection, env);
  // SINK_WRITER_GROUP_ID, prefixed by the run's namespace.
  return { ...settings, groupId: serviceNames(env).sinkWriterGroupId };
}
