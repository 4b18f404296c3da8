import { GatewaySettingsError, loadGatewaySettings } from './gateway-settings';

describe(loadGatewaySettings.name, () => {
  it('has documented defaults', () => {
    expect(loadGatewaySettings({})).toMatchObject({
      port: 8080,
      maxBatchEvents: 500,
      maxBodyBytes: 1024 * 1024,
      idempotencyWindowMs: 600_000,
      queryBackend: 'clickhouse',
      subscriptionsEnabled: true,
      dbSchema: 'ingestion_gateway',
    });
  });

  it('lists every bad variable in one error', () => {
    expect(() =>
      loadGatewaySettings({
        PORT: 'eighty',
        GATEWAY_QUERY_BACKEND: 'mysql',
        GATEWAY_DB_SCHEMA: 'Bad-Name',
      }),
    ).toThrow(GatewaySettingsError);
    try {
      loadGatewaySettings({
        PORT: 'eighty',
        GATEWAY_QUERY_BACKEND: 'mysql',
        GATEWAY_DB_SCHEMA: 'Bad-Name',
      });
    } catch (e) {
      expect((e as GatewaySettingsError).problems.map((p) => p.split('=')[0])).toEqual([
        'PORT',
        'GATEWAY_DB_SCHEMA',
        'GATEWAY_QUERY_BACKEND',
      ]);
    }
  });

  it('refuses a burst smaller than a full batch', () => {
    expect(() =>
      loadGatewaySettings({ GATEWAY_MAX_BATCH_EVENTS: '500', GATEWAY_RATE_LIMIT_BURST: '100' }),
    ).toThrow(/BURST/);
  });
});
