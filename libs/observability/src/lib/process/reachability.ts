import { connect } from 'node:net';

/** A dependency (Kafka, PostgreSQL, ClickHouse) that answered on none of its addresses. */
export class DependencyUnreachableError extends Error {
  override readonly name = 'DependencyUnreachableError';
  constructor(
    readonly dependency: string,
    readonly addresses: readonly string[],
    readonly reasons: readonly string[],
  ) {
    super(
      `${dependency} is unreachable at ${addresses
        .map((a, i) => `${a} (${reasons[i] ?? 'no answer'})`)
        .join(', ')}`,
    );
  }
}

/** Opens (and closes) one TCP connection to `host:port`; the reason it failed, or null. */
export function tcpProbe(address: string, timeoutMs: number): Promise<string | null> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (reason: string | null): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.once('connect', () => done(null));
    socket.once('timeout', () => done(`no connection within ${timeoutMs} ms`));
    socket.once('error', (error: Error) => done(error.message));
  });
}

/**
 * Start-up check: resolves when any address of the dependency accepts a TCP connection within
 * `timeoutMs`, or throws {@link DependencyUnreachableError} naming every address and its
 * reason, so a service that cannot start says why at once instead of retrying in silence.
 */
export async function assertReachable(
  dependency: string,
  addresses: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const reasons = await Promise.all(addresses.map((a) => tcpProbe(a, timeoutMs)));
  if (reasons.some((r) => r === null)) return;
  throw new DependencyUnreachableError(
    dependency,
    addresses,
    reasons.map((r) => r ?? ''),
  );
}
