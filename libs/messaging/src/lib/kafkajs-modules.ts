/**
 * Replaces a kafkajs 2.2.4 internal module before kafkajs loads it (see
 * docs/adr/0009-correct-read-committed-filter-for-kafkajs.md): the record batch decoder and
 * the produce request encoder, whose allocations per record dominated the platform's
 * consumers and producers.
 */
import { Module } from 'node:module';

const REPLACED = Symbol.for('platform.messaging.kafkajsModule');
const warned = new Set<string>();

/**
 * Puts `exports` in the module cache under kafkajs' `id`, once per process. When kafkajs
 * loaded the original already (a kafkajs client outside the platform ran first), the
 * original stays, which works the same but slower, and a warning says so.
 */
export function replaceKafkajsModule(id: string, build: () => object): void {
  const path = require.resolve(id);
  const cached = require.cache[path];
  if (cached !== undefined) {
    if ((cached.exports as { [REPLACED]?: true })[REPLACED] === true) return;
    if (!warned.has(id)) {
      warned.add(id);
      process.emitWarning(
        `kafkajs loaded ${id} before the platform could replace it: this process keeps kafkajs' slower one`,
      );
    }
    return;
  }
  // A module entry of our own, never the original's: require hooks (OpenTelemetry's
  // require-in-the-middle) keep the exports they saw first, so the original must not load.
  const entry = new Module(path);
  entry.filename = path;
  entry.loaded = true;
  entry.exports = Object.assign(build(), { [REPLACED]: true as const });
  require.cache[path] = entry;
}
