import type { SchemaRegistrar } from './event-producer';

/**
 * A registry in memory, for tests and local tools: the same schema text under the same
 * subject gets the same id, and ids are looked up as a real registry would.
 */
export class InMemorySchemaRegistrar implements SchemaRegistrar {
  private readonly byId = new Map<number, string>();
  private readonly ids = new Map<string, number>();
  private nextId: number;

  constructor(firstId = 1) {
    this.nextId = firstId;
  }

  async register(subject: string, schema: string): Promise<number> {
    const known = this.ids.get(`${subject}\u0000${schema}`);
    if (known !== undefined) return known;
    let id = [...this.byId].find(([, text]) => text === schema)?.[0];
    if (id === undefined) {
      id = this.nextId++;
      this.byId.set(id, schema);
    }
    this.ids.set(`${subject}\u0000${schema}`, id);
    return id;
  }

  async getSchemaById(id: number): Promise<string> {
    const schema = this.byId.get(id);
    if (schema === undefined) throw new Error(`schema ${id} not found`);
    return schema;
  }

  /** Subjects registered so far. */
  subjects(): string[] {
    return [...new Set([...this.ids.keys()].map((k) => k.split('\u0000')[0] as string))];
  }
}
