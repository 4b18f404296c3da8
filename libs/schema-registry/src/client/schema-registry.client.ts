import { z } from 'zod';
import { canonicalJson } from '../avro-types';
import { isCompatibilityLevel, type CompatibilityLevel } from '../compatibility';
import type { SchemaLookup } from '../serde';
import { SchemaRegistryError, isSchemaRegistryError } from './schema-registry.error';

/** The media type of Confluent's REST API, sent with every body. */
export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT = `${SCHEMA_REGISTRY_CONTENT_TYPE}, application/vnd.schemaregistry+json, application/json`;

export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  readonly retries?: number;
  /** Delay before the first retry; doubled each time. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Cap on the exponential delay. Default 5 s. */
  readonly maxDelayMs?: number;
  /** Spread each delay over [delay/2, delay] so clients do not retry in lock-step. Default true. */
  readonly jitter?: boolean;
  /** Cap on a server's `Retry-After`. Default 60 s. */
  readonly maxRetryAfterMs?: number;
}

export interface SchemaRegistryClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8081` (a path prefix is kept; credentials in it are used as basic auth). */
  readonly url: string;
  /** Basic auth. Kept out of errors, logs and `util.inspect`. */
  readonly username?: string;
  readonly password?: string;
  /** Per request (each attempt). Default 10 s. */
  readonly timeoutMs?: number;
  /** How long `getLatest` answers from cache. Default 30 s; 0 disables. */
  readonly latestTtlMs?: number;
  readonly retry?: RetryOptions;
  /** Clock for the latest-version TTL (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** One version of a subject, as `GET /subjects/{s}/versions/{v}` answers it. */
export interface SubjectSchema {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
}

export interface RegistryCompatibility {
  readonly compatible: boolean;
  /** The registry's reasons (requested with `verbose=true`); empty when compatible. */
  readonly messages: readonly string[];
}

/**
 * What to check a schema against: one version, `latest`, or `all` (every version the
 * subject's level says a registration would be checked against: Confluent's
 * `POST /compatibility/subjects/{s}/versions`).
 */
export type CompatibilityTarget = number | 'latest' | 'all';

export interface GetConfigOptions {
  /** For a subject without its own level, answer the global one (instead of 40408). Default true. */
  readonly defaultToGlobal?: boolean;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  latestTtlMs: 30_000,
  retries: 5,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
} as const;

const idResponse = z.object({ id: z.number().int().nonnegative() });
const schemaResponse = z.object({ schema: z.string() });
const subjectSchemaResponse = z.object({
  subject: z.string(),
  id: z.number().int().nonnegative(),
  version: z.number().int(),
  schema: z.string(),
});
const compatibilityResponse = z.object({
  is_compatible: z.boolean(),
  messages: z.array(z.string()).nullish(),
});
const level = z.string().refine(isCompatibilityLevel, 'not a compatibility level');
// GET answers {compatibilityLevel}, PUT answers {compatibility}; some registries mix them up.
const configResponse = z
  .object({ compatibilityLevel: level.optional(), compatibility: level.optional() })
  .refine(
    (body) => (body.compatibilityLevel ?? body.compatibility) !== undefined,
    'no compatibility level',
  );
const stringList = z.array(z.string());
const numberList = z.array(z.number().int());

export interface ResolvedRetry {
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: boolean;
  readonly maxRetryAfterMs: number;
}

/**
 * The wait before retry number `attempt` (1-based): the server's `Retry-After` (capped) when it
 * sent one, else exponential from `initialDelayMs`, capped, and with jitter spread over
 * [delay/2, delay] by `random`.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  retry: Omit<ResolvedRetry, 'retries'>,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, retry.maxRetryAfterMs);
  const exponential = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
  return retry.jitter ? exponential / 2 + random() * (exponential / 2) : exponential;
}

/**
 * A client of the Confluent Schema Registry REST API, for any compatible registry (ours,
 * Confluent's, Apicurio's ccompat, Redpanda's).
 *
 * - Caches what cannot change: schema text by id, and id by (subject, canonical schema).
 *   The latest version of a subject is cached for `latestTtlMs` and dropped when this
 *   client registers under the subject.
 * - Concurrent identical reads and registrations share one request.
 * - Retries network errors, timeouts, 5xx and 429 with capped exponential backoff (a
 *   `Retry-After` is honoured); a 4xx is final.
 * - Implements {@link SchemaLookup}, so `new AvroSerde(client)` works.
 */
export class SchemaRegistryClient implements SchemaLookup {
  readonly baseUrl: string;
  #authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly latestTtlMs: number;
  private readonly retry: ResolvedRetry;
  private readonly now: () => number;

  private readonly schemasById = new Map<number, string>();
  private readonly idsBySchema = new Map<string, number>();
  private readonly latestBySubject = new Map<
    string,
    { readonly value: SubjectSchema; readonly expiresAt: number }
  >();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(options: SchemaRegistryClientOptions) {
    const url = new URL(options.url);
    const username = options.username ?? decodeURIComponent(url.username);
    const password = options.password ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.#authorization =
      username || password
        ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
        : undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.latestTtlMs = options.latestTtlMs ?? DEFAULTS.latestTtlMs;
    this.retry = {
      retries: options.retry?.retries ?? DEFAULTS.retries,
      initialDelayMs: options.retry?.initialDelayMs ?? DEFAULTS.initialDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
      jitter: options.retry?.jitter ?? true,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
    };
    this.now = options.now ?? Date.now;
  }

  /** Registers `schema` under `subject` (a no-op if it is already there) and returns its global id. */
  async register(subject: string, schema: string): Promise<number> {
    const key = schemaKey(subject, schema);
    const cached = this.idsBySchema.get(key);
    if (cached !== undefined) return cached;
    return this.shared(`register ${key}`, async () => {
      const { id } = await this.send('POST', `/subjects/${enc(subject)}/versions`, idResponse, {
        schema,
      });
      this.idsBySchema.set(key, id);
      this.latestBySubject.delete(subject);
      return id;
    });
  }

  /** The schema text with this global id. */
  async getById(id: number): Promise<string> {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new RangeError(`schema id must be a non-negative integer, got ${String(id)}`);
    }
    const cached = this.schemasById.get(id);
    if (cached !== undefined) return cached;
    return this.shared(`id ${id}`, async () => {
      const { schema } = await this.send('GET', `/schemas/ids/${id}`, schemaResponse);
      this.schemasById.set(id, schema);
      return schema;
    });
  }

  /** {@link SchemaLookup} for `AvroSerde`. */
  getSchemaById(id: number): Promise<string> {
    return this.getById(id);
  }

  /** The subject's latest version; cached for `latestTtlMs`. */
  async getLatest(subject: string): Promise<SubjectSchema> {
    const cached = this.latestBySubject.get(subject);
    if (cached && this.now() < cached.expiresAt) return cached.value;
    return this.shared(`latest ${subject}`, async () => {
      const value = await this.fetchVersion(subject, 'latest');
      if (this.latestTtlMs > 0) {
        this.latestBySubject.set(subject, { value, expiresAt: this.now() + this.latestTtlMs });
      }
      return value;
    });
  }

  /** One version of a subject (`latest` goes through the latest-version cache). */
  async getVersion(subject: string, version: number | 'latest'): Promise<SubjectSchema> {
    if (version === 'latest') return this.getLatest(subject);
    return this.shared(`version ${subject} ${version}`, () => this.fetchVersion(subject, version));
  }

  /** The version of `subject` holding `schema`; 40403 when it has none. */
  async lookup(subject: string, schema: string): Promise<SubjectSchema> {
    return this.shared(`lookup ${schemaKey(subject, schema)}`, async () => {
      const found = await this.send('POST', `/subjects/${enc(subject)}`, subjectSchemaResponse, {
        schema,
      });
      this.remember(found);
      this.idsBySchema.set(schemaKey(subject, schema), found.id);
      return found;
    });
  }

  /** Would `schema` be accepted under `subject`'s compatibility level? Never cached. */
  async checkCompatibility(
    subject: string,
    schema: string,
    version: CompatibilityTarget = 'latest',
  ): Promise<RegistryCompatibility> {
    const target = version === 'all' ? '' : `/${enc(String(version))}`;
    const body = await this.send(
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions${target}?verbose=true`,
      compatibilityResponse,
      { schema },
    );
    return { compatible: body.is_compatible, messages: body.messages ?? [] };
  }

  /** The global level, or the subject's (its own, else the global one unless `defaultToGlobal: false`). */
  async getConfig(subject?: string, options: GetConfigOptions = {}): Promise<CompatibilityLevel> {
    const path =
      subject === undefined
        ? '/config'
        : `/config/${enc(subject)}${options.defaultToGlobal === false ? '' : '?defaultToGlobal=true'}`;
    return levelOf(await this.send('GET', path, configResponse));
  }

  /** Sets the global level, or the subject's; returns the level the registry stored. */
  async setConfig(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    const path = subject === undefined ? '/config' : `/config/${enc(subject)}`;
    return levelOf(await this.send('PUT', path, configResponse, { compatibility: level }));
  }

  listSubjects(): Promise<readonly string[]> {
    return this.shared('subjects', () => this.send('GET', '/subjects', stringList));
  }

  listVersions(subject: string): Promise<readonly number[]> {
    return this.shared(`versions ${subject}`, () =>
      this.send('GET', `/subjects/${enc(subject)}/versions`, numberList),
    );
  }

  private async fetchVersion(subject: string, version: number | 'latest'): Promise<SubjectSchema> {
    const path = `/subjects/${enc(subject)}/versions/${enc(String(version))}`;
    const found = await this.send('GET', path, subjectSchemaResponse);
    this.remember(found);
    return found;
  }

  /** A subject version's id and text never change: fill the immutable caches from it. */
  private remember(found: SubjectSchema): void {
    this.schemasById.set(found.id, found.schema);
    this.idsBySchema.set(schemaKey(found.subject, found.schema), found.id);
  }

  /** One request per key at a time: concurrent callers share its promise, success or failure. */
  private shared<T>(key: string, run: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const promise = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async send<T>(
    method: string,
    path: string,
    parser: z.ZodType<T>,
    body?: unknown,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(method, path, parser, body);
      } catch (err) {
        if (!isSchemaRegistryError(err)) throw err;
        if (!err.retriable || attempt > this.retry.retries) throw err.withAttempts(attempt);
        await sleep(retryDelayMs(attempt, err.retryAfterMs, this.retry));
      }
    }
  }

  private async attempt<T>(
    method: string,
    path: string,
    parser: z.ZodType<T>,
    body: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: ACCEPT };
    if (body !== undefined) headers['content-type'] = SCHEMA_REGISTRY_CONTENT_TYPE;
    if (this.#authorization) headers['authorization'] = this.#authorization;
    const base = { method, path } as const;

    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const timedOut = errorLike(err)?.name === 'TimeoutError';
      throw new SchemaRegistryError({
        ...base,
        failure: timedOut ? 'timeout' : 'network',
        serverMessage: timedOut ? `no answer within ${this.timeoutMs} ms` : networkReason(err),
        retriable: true,
        cause: err,
      });
    }

    const json = parseJson(text);
    if (!response.ok) {
      const status = response.status;
      const error = errorBody(json);
      throw new SchemaRegistryError({
        ...base,
        failure: 'http',
        status,
        errorCode: error.errorCode,
        serverMessage: error.message ?? (text.trim().slice(0, 200) || response.statusText),
        retriable: status >= 500 || status === 429,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after'), Date.now()),
      });
    }
    const parsed = parser.safeParse(json);
    if (!parsed.success) {
      throw new SchemaRegistryError({
        ...base,
        failure: 'invalid-response',
        status: response.status,
        serverMessage: `unexpected answer ${text.slice(0, 200)}: ${parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '<root>'}: ${issue.message}`)
          .join('; ')}`,
        retriable: false,
      });
    }
    return parsed.data;
  }
}

const enc = encodeURIComponent;

/** Same subject and same schema up to formatting and key order: the same registered id. */
function schemaKey(subject: string, schema: string): string {
  const json = parseJson(schema);
  return `${subject}\u0000${json === undefined ? schema : canonicalJson(json)}`;
}

function levelOf(body: z.infer<typeof configResponse>): CompatibilityLevel {
  // The refinement guarantees one of them is set and valid.
  return (body.compatibilityLevel ?? body.compatibility) as CompatibilityLevel;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorBody(json: unknown): { errorCode?: number; message?: string } {
  if (typeof json !== 'object' || json === null) return {};
  const record = json as Record<string, unknown>;
  return {
    errorCode: typeof record['error_code'] === 'number' ? record['error_code'] : undefined,
    message: typeof record['message'] === 'string' ? record['message'] : undefined,
  };
}

/** `Retry-After` as seconds or an HTTP date. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// Checked by shape, not `instanceof Error`: fetch's errors may come from another realm
// (Jest's VM context, for one).
interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

function errorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined;
}

/** undici hides the reason (ECONNREFUSED…) in `cause`. */
function networkReason(err: unknown): string {
  const outer = errorLike(err);
  const cause = errorLike(outer?.cause);
  const message = String(cause?.message ?? outer?.message ?? err);
  return typeof cause?.code === 'string' ? `${cause.code}: ${message}` : message;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
