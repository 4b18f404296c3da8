// Test support only (not exported from index.ts): a tiny in-memory imitation of the Confluent
// Schema Registry REST API on 127.0.0.1, with scripted failures and a request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalJson } from '../avro-types';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A scripted answer, used instead of the normal one. */
export interface ScriptedResponse {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (longer than the client's timeout = a timeout). */
  readonly delayMs?: number;
}

interface Script {
  readonly matches: (method: string, url: string) => boolean;
  readonly responses: ScriptedResponse[];
}

interface Version {
  readonly id: number;
  readonly version: number;
  readonly schema: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class FakeConfluentRegistry {
  readonly requests: RecordedRequest[] = [];
  /** Delay every normal answer (to hold concurrent requests in flight). */
  delayMs = 0;
  globalLevel = 'BACKWARD';
  readonly subjectLevels = new Map<string, string>();
  private readonly subjects = new Map<string, Version[]>();
  private readonly schemas = new Map<number, string>();
  private readonly scripts: Script[] = [];
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Answer the next matching requests with these responses, in order, then normally again. */
  script(method: string, urlPrefix: string, ...responses: ScriptedResponse[]): void {
    this.scripts.push({
      matches: (m, url) => m === method && url.startsWith(urlPrefix),
      responses: [...responses],
    });
  }

  /** Requests whose method and path (without query) match. */
  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.url.split('?')[0] === path).length;
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts.length = 0;
    this.delayMs = 0;
    this.globalLevel = 'BACKWARD';
    this.subjectLevels.clear();
    this.subjects.clear();
    this.schemas.clear();
  }

  /** Seeds a subject version directly. */
  seed(subject: string, schema: string): Version {
    return this.registerSchema(subject, schema);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    this.requests.push({ method, url, headers: req.headers, body });

    const script = this.scripts.find((s) => s.responses.length > 0 && s.matches(method, url));
    const scripted = script?.responses.shift();
    const answer = scripted ?? this.route(method, url, body);
    const delay = scripted ? (scripted.delayMs ?? 0) : this.delayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, { 'content-type': CONTENT_TYPE, ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private route(method: string, url: string, body: string): ScriptedResponse {
    const [path = '/', query = ''] = url.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const json = body ? (JSON.parse(body) as Record<string, string>) : {};
    const notFound = (code: number, message: string): ScriptedResponse => ({
      status: 404,
      body: { error_code: code, message },
    });

    if (method === 'GET' && parts[0] === 'schemas' && parts[1] === 'ids' && parts.length === 3) {
      const schema = this.schemas.get(Number(parts[2]));
      return schema === undefined ? notFound(40403, 'Schema not found') : { body: { schema } };
    }
    if (parts[0] === 'subjects') {
      const subject = parts[1];
      if (method === 'GET' && subject === undefined) return { body: [...this.subjects.keys()] };
      if (subject === undefined) return notFound(404, 'not found');
      const versions = this.subjects.get(subject);
      if (method === 'POST' && parts[2] === 'versions') {
        return { body: { id: this.registerSchema(subject, json['schema'] ?? '').id } };
      }
      if (!versions) return notFound(40401, `Subject '${subject}' not found.`);
      if (method === 'POST' && parts.length === 2) {
        const key = canonicalJson(JSON.parse(json['schema'] ?? 'null'));
        const found = versions.find((v) => canonicalJson(JSON.parse(v.schema)) === key);
        return found ? { body: { subject, ...found } } : notFound(40403, 'Schema not found');
      }
      if (method === 'GET' && parts[2] === 'versions' && parts.length === 3) {
        return { body: versions.map((v) => v.version) };
      }
      if (method === 'GET' && parts[2] === 'versions' && parts.length === 4) {
        const found =
          parts[3] === 'latest'
            ? versions.at(-1)
            : versions.find((v) => v.version === Number(parts[3]));
        return found
          ? { body: { subject, ...found } }
          : notFound(40402, `Version ${parts[3]} not found.`);
      }
    }
    if (method === 'POST' && parts[0] === 'compatibility' && parts[1] === 'subjects') {
      const verbose = query.includes('verbose=true');
      const compatible = !(json['schema'] ?? '').includes('INCOMPATIBLE');
      const messages = compatible ? [] : ['reader field "x" has no default (BACKWARD)'];
      return {
        body: verbose ? { is_compatible: compatible, messages } : { is_compatible: compatible },
      };
    }
    if (parts[0] === 'config') {
      const subject = parts[1];
      if (method === 'PUT') {
        const level = json['compatibility'] ?? '';
        if (subject === undefined) this.globalLevel = level;
        else this.subjectLevels.set(subject, level);
        return { body: { compatibility: level } };
      }
      if (subject === undefined) return { body: { compatibilityLevel: this.globalLevel } };
      const own = this.subjectLevels.get(subject);
      if (own) return { body: { compatibilityLevel: own } };
      return query.includes('defaultToGlobal=true')
        ? { body: { compatibilityLevel: this.globalLevel } }
        : notFound(
            40408,
            `Subject '${subject}' does not have subject-level compatibility configured`,
          );
    }
    return notFound(404, `HTTP 404 Not Found: ${method} ${path}`);
  }

  private registerSchema(subject: string, schema: string): Version {
    const key = canonicalJson(JSON.parse(schema));
    const versions = this.subjects.get(subject) ?? [];
    const existing = versions.find((v) => canonicalJson(JSON.parse(v.schema)) === key);
    if (existing) return existing;
    let id = [...this.schemas].find(([, text]) => canonicalJson(JSON.parse(text)) === key)?.[0];
    if (id === undefined) {
      id = this.schemas.size + 1;
      this.schemas.set(id, schema);
    }
    const version = { id, version: (versions.at(-1)?.version ?? 0) + 1, schema };
    this.subjects.set(subject, [...versions, version]);
    return version;
  }
}
