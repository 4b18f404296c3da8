import type { Provider } from '@nestjs/common';
import { loadSinkWriterSettings, type SinkWriterSettings } from './sink-writer.config';

export const SINK_WRITER_SETTINGS = Symbol('SINK_WRITER_SETTINGS');

export function sinkWriterSettingsProvider(
  env: Readonly<Record<string, string | undefined>>,
): Provider<SinkWriterSettings> {
  return { provide: SINK_WRITER_SETTINGS, useFactory: () => loadSinkWriterSettings(env) };
}
