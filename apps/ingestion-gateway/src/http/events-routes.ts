// No imports: instrument.ts reads this before telemetry starts, before Nest and Fastify load.

/** `POST /v1/events` and `POST /v1/events/{type}`: the routes tracking clients hit. */
export const EVENTS_PATH = '/v1/events';

/** The route pattern of a path on the events routes (metrics, spans), or undefined. */
export function eventsRouteOf(path: string): string | undefined {
  if (path === EVENTS_PATH) return EVENTS_PATH;
  if (path.startsWith(`${EVENTS_PATH}/`)) {
    // An escaped type name is left to the router, which decodes it.
    const type = path.slice(EVENTS_PATH.length + 1);
    return type !== '' && !type.includes('/') && !type.includes('%')
      ? `${EVENTS_PATH}/:type`
      : undefined;
  }
  return undefined;
}
