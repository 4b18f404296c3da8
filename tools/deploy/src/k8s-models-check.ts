/**
 * Child process of k8s-schemas.ts: reads `[{ module, object }]` as JSON on stdin, validates
 * each object with the model class of its module (kubernetes-models packages are ESM, which
 * Jest's module system does not load), prints one list of errors per object as JSON.
 */
type Input = { module: string; object: Record<string, unknown> };
type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Input[];
  const results: string[][] = [];
  for (const { module, object } of input) {
    const kind = String(object['kind']);
    try {
      const loaded = (await import(module)) as Record<string, ModelClass | undefined>;
      const Model = loaded[kind];
      if (Model === undefined) {
        results.push([`${module} exports no ${kind}`]);
        continue;
      }
      new Model(object).validate();
      results.push([]);
    } catch (error) {
      results.push([error instanceof Error ? error.message : String(error)]);
    }
  }
  process.stdout.write(JSON.stringify(results));
}

void main();
