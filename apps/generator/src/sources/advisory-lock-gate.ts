import { pgConnection, type PostgresSettings } from '@platform/config';
import type { TickGate } from '@platform/triggers';
import { Client } from 'pg';

/**
 * A tick gate held through a PostgreSQL session-level advisory lock named `name` (hashed with
 * `hashtext`, as the registry's migrations do): of the replicas sharing the name, the one whose
 * session holds the lock fires; the others stand by and try again at their next tick. The
 * lock goes with the session, so a replica that dies or loses its connection hands over to
 * the next one that asks. A database that cannot be reached means this replica does not fire.
 */
export class AdvisoryLockGate implements TickGate {
  private client: Client | undefined;
  private held = false;

  constructor(
    private readonly settings: PostgresSettings,
    readonly name: string,
    private readonly onChange: (held: boolean, reason?: string) => void = () => undefined,
  ) {}

  async tryAcquire(): Promise<boolean> {
    try {
      const client = await this.connected();
      if (this.held) {
        await client.query('SELECT 1');
        return true;
      }
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [this.name],
      );
      this.set(rows[0]?.locked === true);
    } catch (error) {
      await this.drop();
      this.set(false, error instanceof Error ? error.message : String(error));
    }
    return this.held;
  }

  /** Ends the session, which releases the lock. */
  async close(): Promise<void> {
    await this.drop();
    this.set(false);
  }

  private set(held: boolean, reason?: string): void {
    if (held !== this.held || reason !== undefined) this.onChange(held, reason);
    this.held = held;
  }

  private async connected(): Promise<Client> {
    if (this.client !== undefined) return this.client;
    const client = new Client({
      ...pgConnection(this.settings),
      connectionTimeoutMillis: 5_000,
      application_name: `trigger-lock:${this.name}`.slice(0, 63),
    });
    // A lost connection ends the session and its lock: the next tick asks again.
    client.on('error', () => void this.drop().then(() => this.set(false)));
    await client.connect();
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
  }
}
