import { ConfigError } from '@platform/config';
import { loadGatewaySettings, traceSampleRatioOf } from './gateway-settings';

describe(loadGatewaySettings.name, () => {
  it('has documented defaults', () => {
    expect(loadGatewaySettings({})).toMatchObject({
      port: 8080,
      maxBatchEvents: 500,
      maxBodyBytes: 1024 * 1024,
      idempotencyWindowMs: 600_000,
      idempotencySynchronousCommit: false,
      queryBackend: 'clickhouse',
      subscriptionsEnabled: true,
      dbSchema: 'ingestion_gateway',
      minEventTimeMs: 0,
      maxEventTimeSkewMs: 86_400_000,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
    });
  });

  it('reads the event time floor and skew, and refuses a floor before 1970 or a skew over a year', () => {
    expect(
      loadGatewaySettings({
        GATEWAY_MIN_EVENT_TIME: '2020-01-01T00:00:00Z',
        GATEWAY_MAX_EVENT_TIME_SKEW_MS: '60000',
      }),
    ).toMatchObject({ minEventTimeMs: Date.UTC(2020, 0, 1), maxEventTimeSkewMs: 60_000 });
    expect(() => loadGatewaySettings({ GATEWAY_MIN_EVENT_TIME: '1969-12-31T00:00:00Z' })).toThrow(
      /GATEWAY_MIN_EVENT_TIME/,
    );
    expect(() => loadGatewaySettings({ GATEWAY_MIN_EVENT_TIME: 'yesterday' })).toThrow(
      /GATEWAY_MIN_EVENT_TIME/,
    );
    expect(() =>
      loadGatewaySettings({ GATEWAY_MAX_EVENT_TIME_SKEW_MS: String(400 * 86_400_000) }),
    ).toThrow(/GATEWAY_MAX_EVENT_TIME_SKEW_MS/);
  });

  it('reads the shedding limits and the trace and request-log sample rates, refusing ratios outside [0, 1]', () => {
    expect(loadGatewaySettings({})).toMatchObject({
      maxInFlight: 4096,
      maxInFlightBytes: 32 * 1024 * 1024,
      maxEventLoopDelayMs: 0,
      traceSampleRatio: 0.01,
      requestLogSampleRate: 0.01,
    });
    expect(
      loadGatewaySettings({
        GATEWAY_MAX_IN_FLIGHT: '64',
        GATEWAY_MAX_IN_FLIGHT_BYTES: String(8 * 1024 * 1024),
        GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '250',
        GATEWAY_TRACE_SAMPLE_RATIO: '1',
        GATEWAY_REQUEST_LOG_SAMPLE_RATE: '0',
      }),
    ).toMatchObject({
      maxInFlight: 64,
      maxInFlightBytes: 8 * 1024 * 1024,
      maxEventLoopDelayMs: 250,
      traceSampleRatio: 1,
      requestLogSampleRate: 0,
    });
    expect(() => loadGatewaySettings({ GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '-1' })).toThrow(
      /GATEWAY_MAX_EVENT_LOOP_DELAY_MS/,
    );
    expect(() => loadGatewaySettings({ GATEWAY_TRACE_SAMPLE_RATIO: '1.5' })).toThrow(
      /GATEWAY_TRACE_SAMPLE_RATIO/,
    );
    expect(() => loadGatewaySettings({ GATEWAY_REQUEST_LOG_SAMPLE_RATE: 'half' })).toThrow(
      /GATEWAY_REQUEST_LOG_SAMPLE_RATE/,
    );
    expect(() => loadGatewaySettings({ GATEWAY_MAX_IN_FLIGHT: '0' })).toThrow(
      /GATEWAY_MAX_IN_FLIGHT/,
    );
    // A budget below the largest body would refuse such a body even on an idle gateway.
    expect(() =>
      loadGatewaySettings({
        GATEWAY_MAX_BODY_BYTES: String(2 * 1024 * 1024),
        GATEWAY_MAX_IN_FLIGHT_BYTES: String(1024 * 1024),
      }),
    ).toThrow(/GATEWAY_MAX_IN_FLIGHT_BYTES.*must be at least GATEWAY_MAX_BODY_BYTES \(2097152\)/);
    expect(traceSampleRatioOf({ GATEWAY_TRACE_SAMPLE_RATIO: '0.25' })).toBe(0.25);
    expect(traceSampleRatioOf({ GATEWAY_TRACE_SAMPLE_RATIO: 'nonsense' })).toBe(0.01);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() =>
      loadGatewaySettings({
        GATEWAY_REQUEST_TIMEOUT_MS: '1000',
        GATEWAY_HEADERS_TIMEOUT_MS: '2000',
      }),
    ).toThrow(
      /GATEWAY_HEADERS_TIMEOUT_MS="2000": must not be longer than GATEWAY_REQUEST_TIMEOUT_MS \(1000\)/,
    );
  });

  it('lists every bad variable in one error', () => {
    expect(() =>
      loadGatewaySettings({
        PORT: 'eighty',
        GATEWAY_QUERY_BACKEND: 'mysql',
        GATEWAY_DB_SCHEMA: 'Bad-Name',
      }),
    ).toThrow(ConfigError);
    try {
      loadGatewaySettings({
        PORT: 'eighty',
        GATEWAY_QUERY_BACKEND: 'mysql',
        GATEWAY_DB_SCHEMA: 'Bad-Name',
      });
    } catch (e) {
      expect((e as ConfigError).issues.map((issue) => issue.message.split('=')[0])).toEqual([
        'PORT',
        'GATEWAY_DB_SCHEMA',
        'GATEWAY_QUERY_BACKEND',
      ]);
    }
  });

  it('refuses a port that is not an integer from 0 to 65535, naming the variable', () => {
    expect(() => loadGatewaySettings({ PORT: '70000' })).toThrow(
      /PORT="70000": must be at most 65535/,
    );
    expect(() => loadGatewaySettings({ PORT: '80.5' })).toThrow(/PORT="80.5": must be an integer/);
    expect(loadGatewaySettings({ PORT: '0' }).port).toBe(0);
  });

  it('refuses a burst smaller than a full batch', () => {
    expect(() =>
      loadGatewaySettings({ GATEWAY_MAX_BATCH_EVENTS: '500', GATEWAY_RATE_LIMIT_BURST: '100' }),
    ).toThrow(/BURST/);
  });
});
