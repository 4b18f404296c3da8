import {
  createLoadShedding,
  declaredBodyBytes,
  sheddable,
  summarizedShedLog,
  type LoadShedding,
  type LoadSheddingOptions,
  type ShedReason,
} from './load-shedding';

/** Keeps the event loop busy for `ms`, as a saturated gateway does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const tick = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe(createLoadShedding.name, () => {
  const opened: LoadShedding[] = [];
  afterEach(() => opened.splice(0).forEach((gate) => gate.close()));
  /** A gate with these limits, and the reasons it refuses with, recorded as it does. */
  const open = (
    limits: Pick<LoadSheddingOptions, 'maxInFlight' | 'maxEventLoopDelayMs'> &
      Partial<LoadSheddingOptions>,
  ): { gate: LoadShedding; shed: ShedReason[] } => {
    const shed: ShedReason[] = [];
    const gate = createLoadShedding({
      retryAfterSeconds: 1,
      maxInFlightBytes: 1024 * 1024,
      ...limits,
      onShed: (reason) => shed.push(reason),
    });
    opened.push(gate);
    return { gate, shed };
  };

  it('refuses over the in-flight limit, and admits again once a request leaves', () => {
    const { gate, shed } = open({ maxInFlight: 2, maxEventLoopDelayMs: 0 });
    expect([gate.enter(100), gate.enter(100)]).toEqual([undefined, undefined]);
    expect(gate.inFlight()).toBe(2);
    expect(gate.enter(100)).toBe('in_flight');
    expect(gate.inFlight()).toBe(2);
    expect(shed).toEqual(['in_flight']);
    gate.leave(100);
    expect(gate.enter(100)).toBeUndefined();
    expect(JSON.parse(gate.refusalOf('in_flight'))).toEqual({
      error: {
        code: 'OVERLOADED',
        message:
          'the gateway is at its limit of 2 requests in flight; retry after the Retry-After delay',
      },
    });
  });

  it('refuses while the event loop is further behind than the limit, and admits once it caught up', async () => {
    const { gate, shed } = open({ maxInFlight: 100, maxEventLoopDelayMs: 40 });
    await tick(20);
    expect(gate.enter(100)).toBeUndefined();
    // One long turn of the loop: work read after the first 40 ms of it would wait behind it.
    busy(80);
    expect(gate.enter(100)).toBe('event_loop_delay');
    expect(shed).toEqual(['event_loop_delay']);
    expect(gate.inFlight()).toBe(1);
    expect(JSON.parse(gate.refusalOf('event_loop_delay')).error.message).toBe(
      'the gateway is more than 40 ms behind its work; retry after the Retry-After delay',
    );
    // The probe runs as soon as the loop turns: admitted again.
    let admitted: ShedReason | undefined = 'event_loop_delay';
    for (let turn = 0; turn < 50 && admitted !== undefined; turn++) {
      await tick(20);
      admitted = gate.enter(100);
    }
    expect(admitted).toBeUndefined();
    expect(gate.inFlight()).toBe(2);
  });

  it('never refuses on the event loop when the check is off', () => {
    const { gate } = open({ maxInFlight: 100, maxEventLoopDelayMs: 0 });
    busy(60);
    expect(gate.enter(100)).toBeUndefined();
  });

  it('refuses a body that would take the bodies in flight past their limit, and admits it once others left', () => {
    const { gate, shed } = open({
      maxInFlight: 100,
      maxEventLoopDelayMs: 0,
      maxInFlightBytes: 1000,
    });
    expect([gate.enter(600), gate.enter(300)]).toEqual([undefined, undefined]);
    expect(gate.inFlightBytes()).toBe(900);
    // 100 bytes still fit; 101 do not.
    expect(gate.enter(101)).toBe('in_flight_bytes');
    expect(gate.enter(100)).toBeUndefined();
    expect(gate.enter(1)).toBe('in_flight_bytes');
    expect(shed).toEqual(['in_flight_bytes', 'in_flight_bytes']);
    expect([gate.inFlight(), gate.inFlightBytes()]).toEqual([3, 1000]);
    gate.leave(600);
    expect(gate.enter(600)).toBeUndefined();
    expect(JSON.parse(gate.refusalOf('in_flight_bytes')).error.message).toBe(
      'the gateway is at its limit of 1000 bytes of request bodies in flight; retry after the Retry-After delay',
    );
  });

  it('gives Retry-After in whole seconds, at least one', () => {
    const { gate } = open({ maxInFlight: 1, maxEventLoopDelayMs: 0, retryAfterSeconds: 0.2 });
    expect(gate.retryAfterSeconds).toBe(1);
  });
});

describe(sheddable.name, () => {
  it('sheds the API, never the probes and scrapes', () => {
    expect(sheddable('/v1/events')).toBe(true);
    expect(sheddable('/v1/contracts?x=1')).toBe(true);
    for (const path of ['/readyz', '/healthz', '/metrics', '/docs', undefined])
      expect(sheddable(path)).toBe(false);
  });
});

describe(declaredBodyBytes.name, () => {
  const max = 1024 * 1024;
  it('counts a body by its Content-Length, up to the largest allowed', () => {
    expect(declaredBodyBytes({ 'content-length': '250' }, max)).toBe(250);
    expect(declaredBodyBytes({ 'content-length': '0' }, max)).toBe(0);
    expect(declaredBodyBytes({}, max)).toBe(0);
    expect(declaredBodyBytes({ 'content-length': String(5 * max) }, max)).toBe(max);
    expect(declaredBodyBytes({ 'content-length': '10', 'content-encoding': 'identity' }, max)).toBe(
      10,
    );
  });

  it('counts a body whose size is known only once read as the largest allowed', () => {
    expect(declaredBodyBytes({ 'transfer-encoding': 'chunked' }, max)).toBe(max);
    // Compressed: 10 bytes on the wire may be a full body once decompressed.
    expect(declaredBodyBytes({ 'content-length': '10', 'content-encoding': 'gzip' }, max)).toBe(
      max,
    );
    expect(declaredBodyBytes({ 'content-length': 'ten' }, max)).toBe(max);
  });
});

describe(summarizedShedLog.name, () => {
  it('logs the first refusal at once, then at most one line per interval with the counts since', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const lines: string[] = [];
    const log = summarizedShedLog(
      (line) => lines.push(line),
      10_000,
      () => now,
    );
    log('in_flight');
    expect(lines).toEqual([
      'refused 1 requests with 503 OVERLOADED (in flight at the limit: 1, bodies in flight at the limit: 0, event loop behind: 0)',
    ]);
    for (let i = 0; i < 4; i++) log('event_loop_delay');
    log('in_flight_bytes');
    now += 9_999;
    log('in_flight');
    expect(lines).toHaveLength(1);
    now += 1;
    log('event_loop_delay');
    expect(lines[1]).toBe(
      'refused 7 requests with 503 OVERLOADED (in flight at the limit: 1, bodies in flight at the limit: 1, event loop behind: 5) since 2026-01-01T00:00:00.000Z',
    );
  });
});
