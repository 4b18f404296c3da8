import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings';
import { GATEWAY_SETTINGS } from '../core/tokens';
import { GatewayError } from '../http/gateway.error';
import { GatewayDatabase } from '../persistence/gateway-database.service';
import { allows, isWriteKeyShaped, type WriteKeyRecord, type WriteKeyStore } from './write-keys';
import { KeyedRateLimiter } from './token-bucket';

/** The caller's write key, from `x-write-key`, `Authorization: Bearer <key>` or Basic `<key>:`. */
export function writeKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-write-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const [scheme, value] = authorization.split(/\s+/, 2);
  if (value === undefined) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    // Segment style: the key is the user name, the password is empty.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    return user === undefined || user === '' ? undefined : user;
  }
  return undefined;
}

/** What authentication needs of the database: the lookup of a key. */
export interface WriteKeyLookup {
  readonly writeKeys: Pick<WriteKeyStore, 'findByKey'>;
}

/** Write key lookups one instance keeps (issued keys are far fewer). */
const KEY_CACHE_MAX_ENTRIES = 10_000;

interface CacheEntry {
  readonly at: number;
  readonly record: WriteKeyRecord | undefined;
}

/**
 * Resolves write keys (401 unknown or missing, 403 revoked or not allowed) and applies the
 * per-key token bucket (429 with Retry-After). Lookups are cached for `keyCacheTtlMs`,
 * so a revocation takes effect within that time on every instance.
 */
@Injectable()
export class WriteKeyAuthService {
  private readonly cache = new Map<string, CacheEntry>();
  /** Lookups on their way from PostgreSQL: the requests that find an entry expired share one. */
  private readonly loading = new Map<string, Promise<WriteKeyRecord | undefined>>();
  private readonly limiter: KeyedRateLimiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(GatewayDatabase) private readonly database: WriteKeyLookup,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.limiter = new KeyedRateLimiter({
      ratePerSecond: settings.rateLimitPerSecond,
      capacity: settings.rateLimitBurst,
    });
    this.sweeper = setInterval(() => {
      this.limiter.sweep();
      const cutoff = Date.now() - this.settings.keyCacheTtlMs;
      for (const [key, entry] of this.cache) if (entry.at < cutoff) this.cache.delete(key);
    }, 10_000);
    this.sweeper.unref();
  }

  /**
   * The record of the request's write key, or 401/403. A key in the cache is answered at
   * once, without a promise (most requests: a promise per request costs more while trace
   * context is propagated); otherwise PostgreSQL is asked. Callers `await` either.
   */
  authenticate(request: {
    readonly headers: IncomingHttpHeaders;
  }): WriteKeyRecord | Promise<WriteKeyRecord> {
    const key = writeKeyOf(request.headers);
    if (key === undefined) {
      throw new GatewayError(
        401,
        'UNAUTHORIZED',
        'missing write key: send it as x-write-key, a Bearer token or the Basic user name',
      );
    }
    // A key of another shape was never issued: refused without a lookup or a cache entry, so
    // made-up keys cost neither PostgreSQL nor memory.
    if (!isWriteKeyShaped(key)) throw new GatewayError(401, 'UNAUTHORIZED', 'unknown write key');
    // Keyed by the key itself: a hit costs no SHA-256. The map lives only in this process,
    // which holds the key anyway while it serves the request.
    const cached = this.cache.get(key);
    if (cached !== undefined && Date.now() - cached.at < this.settings.keyCacheTtlMs)
      return usable(cached.record);
    return this.lookup(key).then(usable);
  }

  /** Throws 403 unless the key may use `eventType`. */
  authorize(record: WriteKeyRecord, eventType: string): void {
    if (!allows(record, eventType)) {
      throw new GatewayError(
        403,
        'FORBIDDEN',
        `this write key (source ${record.source}) is not allowed to send or read ${eventType} events`,
      );
    }
  }

  /** Takes `cost` tokens from the key's bucket; throws 429 with Retry-After when empty. */
  limit(record: WriteKeyRecord, cost: number): void {
    const result = this.limiter.take(record.id, cost);
    if (!result.allowed) {
      throw new GatewayError(
        429,
        'RATE_LIMITED',
        `rate limit of ${this.settings.rateLimitPerSecond} events per second (burst ${this.settings.rateLimitBurst}) exceeded for this write key`,
        {
          retryAfterSeconds: result.retryAfterMs / 1000,
          details: { retry_after_ms: result.retryAfterMs },
        },
      );
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** PostgreSQL's answer for a key, shared by the requests that ask while it is loading. */
  private lookup(key: string): Promise<WriteKeyRecord | undefined> {
    let loading = this.loading.get(key);
    if (loading === undefined) {
      loading = this.load(key).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async load(key: string): Promise<WriteKeyRecord | undefined> {
    let record: WriteKeyRecord | undefined;
    try {
      record = await this.database.writeKeys.findByKey(key);
    } catch {
      throw GatewayError.unavailable(
        'write keys cannot be checked right now (database unavailable)',
        2,
      );
    }
    if (this.settings.keyCacheTtlMs > 0) {
      // Bounded: well-formed keys nobody issued would otherwise each hold an entry until the
      // sweep. The oldest entry goes first.
      if (this.cache.size >= KEY_CACHE_MAX_ENTRIES && !this.cache.has(key))
        this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { at: Date.now(), record });
    }
    return record;
  }
}

/** 401 for a key nobody issued, 403 for a revoked one. */
function usable(record: WriteKeyRecord | undefined): WriteKeyRecord {
  if (record === undefined) throw new GatewayError(401, 'UNAUTHORIZED', 'unknown write key');
  if (record.revokedAt !== null)
    throw new GatewayError(403, 'FORBIDDEN', 'this write key was revoked');
  return record;
}
