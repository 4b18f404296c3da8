import { createHmac } from 'node:crypto';
import { builtInProcessors } from '../index';
import { runChain, type EventContext } from './chain';
import { HASH_KEY, webModel } from './testing/web-model';

const env = { PII_HASH_KEY: HASH_KEY };
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const LINUX_FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

function visit(
  event: Record<string, unknown>,
  request: Partial<EventContext['request']> = {},
): EventContext {
  return {
    eventType: 'visit',
    event,
    receivedAt: new Date(0),
    source: 'web',
    request: { headers: {}, ...request },
  };
}

function run(processors: unknown[], ctx: EventContext): Record<string, unknown> {
  const chain = builtInProcessors().chains(webModel(processors), env).get(ctx.eventType) ?? [];
  let out: Record<string, unknown> | undefined;
  expect(runChain(chain, ctx, (c) => (out = c.event))).toEqual({ kind: 'dispatched' });
  return out as Record<string, unknown>;
}

describe('pii-hash', () => {
  const hash = (value: string) => createHmac('sha256', HASH_KEY).update(value).digest('hex');

  it('replaces the configured string fields by their keyed hash, the same for the same value', () => {
    const spec = [{ name: 'pii-hash', options: { fields: ['visitor_id', 'email'] } }];
    const a = run(spec, visit({ visitor_id: 'v-1', email: 'ann@example.com', os: 'x' }));
    const b = run(spec, visit({ visitor_id: 'v-1', email: null }));
    expect(a).toEqual({ visitor_id: hash('v-1'), email: hash('ann@example.com'), os: 'x' });
    expect(b).toEqual({ visitor_id: hash('v-1'), email: null });
    expect(a['visitor_id']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a missing or short key, a non-string field and a field no event type has', () => {
    const registry = builtInProcessors();
    expect(() =>
      registry.chains(webModel([{ name: 'pii-hash', options: { fields: ['email'] } }]), {}),
    ).toThrow(/PII_HASH_KEY must hold the hashing key/);
    expect(() =>
      registry.chains(
        webModel([{ name: 'pii-hash', event_types: ['signup'], options: { fields: ['age'] } }]),
        env,
      ),
    ).toThrow(/processors\[0\] \(pii-hash\) on signup: options.fields: age is int/);
    expect(() =>
      registry.chains(webModel([{ name: 'pii-hash', options: { fields: ['phone'] } }]), env),
    ).toThrow(/visit has none of phone/);
  });
});

describe('geo-ua', () => {
  const spec = [
    {
      name: 'geo-ua',
      event_types: ['visit'],
      options: {
        user_agent: { browser: 'browser', os: 'os', device_type: 'device_type' },
        country: 'country',
      },
    },
  ];

  it('fills browser, operating system and device type from the User-Agent, and the country from the edge header', () => {
    expect(
      run(
        spec,
        visit({ visitor_id: 'v' }, { userAgent: IPHONE, headers: { 'cf-ipcountry': 'de' } }),
      ),
    ).toEqual({
      visitor_id: 'v',
      browser: 'Mobile Safari',
      os: 'iOS',
      device_type: 'mobile',
      country: 'DE',
    });
    expect(run(spec, visit({}, { userAgent: LINUX_FIREFOX }))).toEqual({
      browser: 'Firefox',
      os: 'Linux',
      device_type: 'desktop',
    });
  });

  it('keeps what the event carries, and leaves out unknown countries and values outside a field’s list', () => {
    expect(
      run(
        spec,
        visit(
          { browser: 'MyApp', device_type: 'tablet' },
          { userAgent: IPHONE, headers: { 'cf-ipcountry': 'XX' } },
        ),
      ),
    ).toEqual({ browser: 'MyApp', os: 'iOS', device_type: 'tablet' });
    const tv =
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36';
    expect(run(spec, visit({}, { userAgent: tv }))['device_type']).toBeUndefined();
  });

  it('refuses a target field the event type lacks, and unknown options', () => {
    expect(() =>
      builtInProcessors().chains(
        webModel([{ name: 'geo-ua', event_types: ['signup'], options: { country: 'country' } }]),
      ),
    ).toThrow(/on signup: options.country: signup has no field country/);
    expect(() =>
      builtInProcessors().chains(webModel([{ name: 'geo-ua', options: { city: 'x' } }])),
    ).toThrow(/options.<root>: Unrecognized key: "city"/);
  });
});

describe('ProcessorRegistry', () => {
  it('builds each event type its chain in the configured order, only for the types listed', () => {
    const chains = builtInProcessors().chains(
      webModel([
        { name: 'geo-ua', event_types: ['visit'], options: { country: 'country' } },
        { name: 'pii-hash', options: { fields: ['email'] } },
      ]),
      env,
    );
    expect(chains.get('visit')?.map((p) => p.name)).toEqual(['geo-ua', 'pii-hash']);
    expect(chains.get('signup')?.map((p) => p.name)).toEqual(['pii-hash']);
  });

  it('loads a processor of your own from the module the domain names', () => {
    const chains = builtInProcessors().chains(
      webModel([{ name: 'drop-bots', module: './testing/drop-bots.processor.js' }]),
      {},
      __dirname,
    );
    const visit = (userAgent?: string): EventContext => ({
      eventType: 'visit',
      event: {},
      receivedAt: new Date(0),
      source: 'web',
      request: { headers: {}, ...(userAgent === undefined ? {} : { userAgent }) },
    });
    const chain = chains.get('visit') ?? [];
    expect(runChain(chain, visit('Googlebot/2.1'))).toEqual({
      kind: 'dropped',
      processor: 'drop-bots',
      reason: 'bot: Googlebot/2.1',
    });
    expect(runChain(chain, visit())).toMatchObject({
      kind: 'dead-letter',
      reason: 'no User-Agent',
    });
    expect(runChain(chain, visit(LINUX_FIREFOX))).toEqual({ kind: 'dispatched' });
    expect(() =>
      builtInProcessors().chains(
        webModel([{ name: 'mine', module: './testing/missing.js' }]),
        {},
        __dirname,
      ),
    ).toThrow(/processors\[0\]\.module: cannot load \.\/testing\/missing\.js: Cannot find module/);
  });

  it('reports every unknown processor name at once, with the names it knows', () => {
    expect(() => builtInProcessors().chains(webModel([{ name: 'geo' }, { name: 'hash' }]))).toThrow(
      'invalid processors:\n  processors[0].name: no processor "geo"; known: pii-hash, geo-ua\n  processors[1].name: no processor "hash"; known: pii-hash, geo-ua',
    );
  });
});
