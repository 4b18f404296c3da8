import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createApp } from '../bootstrap';

/** Integration-test support: a real registry on a random port over its own PG schema. */

export const PG = {
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  database: 'postgres',
} as const;

/** A fresh, unique PostgreSQL schema name for one test file. */
export function uniqueDbSchema(prefix: string): string {
  return `sr_it_${prefix}_${randomBytes(4).toString('hex')}`;
}

export interface RunningRegistry {
  readonly app: NestFastifyApplication;
  readonly url: string;
  close(): Promise<void>;
}

export async function startRegistry(dbSchema: string): Promise<RunningRegistry> {
  const app = await createApp({ dbSchema, logs: false, config: { environment: 'test' } });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

export async function dropDbSchema(dbSchema: string): Promise<void> {
  const client = new Client(PG);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: T;
  readonly text: string;
}

/** fetch with the registry's media type; the body parsed as JSON when it is JSON. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  /** `null` sends the body with no content type at all. */
  contentType: string | null = 'application/vnd.schemaregistry.v1+json',
): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: {} };
  if (body !== undefined) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    // fetch labels a string body text/plain; bytes go without a label.
    if (contentType === null) init.body = new TextEncoder().encode(text);
    else {
      init.headers = { 'content-type': contentType };
      init.body = text;
    }
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: parsed as T,
    text,
  };
}

/** A record schema with the given fields, as JSON text. */
export function recordSchema(name: string, fields: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ type: 'record', name, namespace: 'com.example', fields });
}
