import { captureLogs, capturingLogger } from '../testing/log-capture';
import { createLogger, resolveLogLevel } from './logger';
import { REDACTED, withoutSecretKeys } from './redact';
import { PlatformLogger } from './platform-logger.service';

const SECRET = 's3cr3t-VALUE-never-logged';

describe(createLogger.name, () => {
  it('writes one JSON object per line with stable keys', () => {
    const capture = captureLogs();
    const logger = createLogger({
      service: 'gateway',
      version: '1.2.3',
      level: 'info',
      destination: capture.stream,
    });
    logger.info({ event: 'boot' }, 'started');

    expect(capture.lines).toHaveLength(1);
    const line = capture.records()[0];
    expect(line).toMatchObject({
      level: 'info',
      service: 'gateway',
      version: '1.2.3',
      event: 'boot',
      msg: 'started',
    });
    expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
    expect(Object.keys(line).slice(0, 2)).toEqual(['level', 'time']);
  });

  it.each([
    ['a nested password', { db: { password: SECRET } }],
    ['a nested token', { auth: { token: SECRET } }],
    ['a top-level authorization', { authorization: `Bearer ${SECRET}` }],
    ['a top-level x-write-key', { 'x-write-key': SECRET }],
    [
      'request headers',
      { req: { headers: { authorization: `Basic ${SECRET}`, 'x-write-key': SECRET } } },
    ],
    ['a headers map one level down', { upstream: { headers: { 'x-write-key': SECRET } } }],
    ['a password two levels down', { config: { postgres: { password: SECRET } } }],
    ['a key in another case', { headers: { Authorization: `Bearer ${SECRET}` } }],
    ['a token four levels down', { a: { b: { c: { token: SECRET } } } }],
    [
      'an object without a prototype',
      { creds: Object.assign(Object.create(null), { secret: SECRET }) },
    ],
    ['objects in an array', { brokers: [{ host: 'a' }, { host: 'b', password: SECRET }] }],
    ['an array in an array', { rows: [[{ token: SECRET }]] }],
    ['a field of an error', { err: Object.assign(new Error('refused'), { token: SECRET }) }],
    [
      'the options of an error',
      { err: Object.assign(new Error('refused'), { options: { password: SECRET } }) },
    ],
  ])('never writes a secret held in %s', (_label, fields) => {
    const { logger, capture } = capturingLogger();
    logger.info(fields, 'with secret');
    expect(capture.lines).toHaveLength(1);
    expect(capture.lines[0]).not.toContain(SECRET);
    expect(capture.lines[0]).toContain(REDACTED);
  });

  it('keeps the non-secret neighbours of a redacted field', () => {
    const { logger, capture } = capturingLogger();
    logger.info({ req: { method: 'POST', headers: { authorization: SECRET, host: 'gw' } } }, 'x');
    expect(capture.records()[0]['req']).toEqual({
      method: 'POST',
      headers: { authorization: REDACTED, host: 'gw' },
    });
  });

  it('never writes a secret bound to a child or grandchild logger', () => {
    const { logger, capture } = capturingLogger();
    const child = logger.child({ upstream: { apiKey: SECRET } });
    child.info('from the child');
    child.child({ component: 'c', token: SECRET }).info('from the grandchild');
    expect(capture.lines).toHaveLength(2);
    for (const line of capture.lines) {
      expect(line).not.toContain(SECRET);
      expect(line).toContain(REDACTED);
    }
  });

  it("leaves the caller's fields as they were, and passes a line without secrets uncopied", () => {
    const fields = { req: { headers: { 'x-write-key': SECRET, host: 'gw' } }, n: 1 };
    const safe = withoutSecretKeys(fields);
    expect(safe).toEqual({ req: { headers: { 'x-write-key': REDACTED, host: 'gw' } }, n: 1 });
    expect(fields.req.headers['x-write-key']).toBe(SECRET);
    const plain = { event: 'http.request', status: 202, nested: { url: '/v1/events' } };
    expect(withoutSecretKeys(plain)).toBe(plain);
  });

  it('copies an error that held a secret as an error of its class, with its message and stack', () => {
    class UpstreamError extends Error {}
    const error = Object.assign(new UpstreamError('refused'), { status: 401, token: SECRET });
    const safe = withoutSecretKeys({ err: error })['err'] as typeof error;
    expect(safe).toBeInstanceOf(UpstreamError);
    expect(safe).not.toBe(error);
    expect({
      message: safe.message,
      stack: safe.stack,
      status: safe.status,
      token: safe.token,
    }).toEqual({
      message: 'refused',
      stack: error.stack,
      status: 401,
      token: REDACTED,
    });
    expect(error.token).toBe(SECRET);
    // pino's serializer writes only a cause's message and stack; another may write its fields.
    const inner = Object.assign(new Error('inner'), { secret: SECRET });
    const outer = withoutSecretKeys({ err: new Error('outer', { cause: inner }) })['err'] as Error;
    expect((outer.cause as { secret: string }).secret).toBe(REDACTED);
    expect(Object.keys(outer)).toEqual([]);
    const harmless = { err: new Error('timeout'), hosts: ['a', 'b'] };
    expect(withoutSecretKeys(harmless)).toBe(harmless);
  });

  it('stops searching below five levels of fields', () => {
    const deep = { a: { b: { c: { d: { e: { token: SECRET } } } } } };
    expect(withoutSecretKeys(deep)).toBe(deep);
  });

  it('drops lines below its level', () => {
    const capture = captureLogs();
    const logger = createLogger({ service: 's', level: 'warn', destination: capture.stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(capture.records().map((line) => line['msg'])).toEqual(['shown']);
  });
});

describe(resolveLogLevel.name, () => {
  it('prefers LOG_LEVEL, then the configured level, then info', () => {
    expect(resolveLogLevel('warn', { LOG_LEVEL: 'debug' })).toBe('debug');
    expect(resolveLogLevel('warn', {})).toBe('warn');
    expect(resolveLogLevel(undefined, {})).toBe('info');
  });

  it('ignores an unknown LOG_LEVEL instead of failing', () => {
    expect(resolveLogLevel('error', { LOG_LEVEL: 'loud' })).toBe('error');
  });
});

describe(PlatformLogger.name, () => {
  function setup(): { nest: PlatformLogger; records: () => Array<Record<string, unknown>> } {
    const { logger, capture } = capturingLogger();
    return { nest: new PlatformLogger(logger), records: () => capture.records() };
  }

  it('maps Nest calls to levels and puts the Nest context under context', () => {
    const { nest, records } = setup();
    nest.log('ready', 'Bootstrap');
    nest.warn('slow', 'Consumer');
    nest.debug('detail', 'Consumer');
    nest.verbose('chatty', 'Consumer');
    expect(records().map((line) => [line['level'], line['context'], line['msg']])).toEqual([
      ['info', 'Bootstrap', 'ready'],
      ['warn', 'Consumer', 'slow'],
      ['debug', 'Consumer', 'detail'],
      ['trace', 'Consumer', 'chatty'],
    ]);
  });

  it('keeps the stack of error(message, stack, context)', () => {
    const { nest, records } = setup();
    const stack = new Error('boom').stack as string;
    nest.error('failed', stack, 'Sink');
    expect(records()[0]).toMatchObject({ level: 'error', msg: 'failed', context: 'Sink', stack });
  });

  it('does not mistake a lone stack for a context', () => {
    const { nest, records } = setup();
    const stack = new Error('boom').stack as string;
    nest.error('failed', stack);
    expect(records()[0]['context']).toBeUndefined();
    expect(records()[0]['stack']).toBe(stack);
  });

  it('turns an object message into fields, redacted like any other', () => {
    const { nest, records } = setup();
    nest.log({ event: 'login', msg: 'user in', user: { token: SECRET } }, 'Auth');
    const line = records()[0];
    expect(line).toMatchObject({ event: 'login', msg: 'user in', context: 'Auth' });
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('serialises an Error message under err', () => {
    const { nest, records } = setup();
    nest.error(new Error('kaput'), 'Ctx');
    expect(records()[0]).toMatchObject({ msg: 'kaput', context: 'Ctx', err: { message: 'kaput' } });
  });
});
