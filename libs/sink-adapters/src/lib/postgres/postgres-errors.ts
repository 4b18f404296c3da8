import { SinkError, SinkErrorCode, messageOf, nodeErrorCode } from '../sink.error';

/** The SQLSTATE of a driver error (also inside TypeORM's wrapper), if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  const pick = (e: unknown): string | undefined => {
    if (typeof e !== 'object' || e === null) return undefined;
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  };
  return pick(error) ?? pick((error as { driverError?: unknown } | null)?.driverError);
}

/** SQLSTATE → SinkError code (retriable ones first). */
export function classifySqlState(state: string): SinkErrorCode | undefined {
  if (state.startsWith('08')) return 'CONNECTION';
  if (state === '53300') return 'TOO_MANY_CONNECTIONS';
  if (state === '57P01' || state === '57P02' || state === '57P03') return 'CONNECTION';
  if (state === '40001' || state === '40P01') return 'SERIALIZATION';
  if (state === '57014') return 'TIMEOUT';
  if (state === '42P01' || state === '3F000') return 'UNKNOWN_TABLE';
  if (state.startsWith('42')) return 'SYNTAX';
  if (state.startsWith('23')) return 'CONSTRAINT';
  if (state.startsWith('22')) return 'TYPE';
  return undefined;
}

export function toPostgresSinkError(error: unknown, context: string): SinkError {
  if (error instanceof SinkError) return error;
  const message = `postgres: ${context}: ${messageOf(error)}`;
  const state = sqlStateOf(error);
  const code = (state ? classifySqlState(state) : undefined) ?? nodeErrorCode(error) ?? 'UNKNOWN';
  return new SinkError(code, message, { cause: error, sink: 'postgres' });
}
