import {
  gatewaySection,
  loadAppSettings,
  serviceNames,
  traceSampleRatioSchema,
  type Env,
  type GatewaySettings,
} from '@platform/config';

export type { GatewaySettings } from '@platform/config';

/**
 * The trace sample ratio for `instrument.ts`, which starts telemetry before anything else (and
 * before the settings are validated): a bad value falls back to the default here and fails
 * the boot in {@link loadGatewaySettings}.
 */
export function traceSampleRatioOf(env: Env = process.env): number {
  const parsed = traceSampleRatioSchema.safeParse(
    env['GATEWAY_TRACE_SAMPLE_RATIO']?.trim() || undefined,
  );
  return parsed.success ? parsed.data : traceSampleRatioSchema.parse(undefined);
}

/**
 * The `gateway` section of the platform config (PORT, HOST and the GATEWAY_* variables);
 * one ConfigError lists every bad variable.
 */
export function loadGatewaySettings(env: Env = process.env): GatewaySettings {
  const settings = loadAppSettings(gatewaySection, env);
  // The names the run owns, prefixed by its namespace (NAMESPACE).
  const names = serviceNames(env);
  return {
    ...settings,
    dbSchema: names.gatewayDbSchema,
    subscriptionsGroupId: names.gatewaySubscriptionsGroupId,
  };
}
