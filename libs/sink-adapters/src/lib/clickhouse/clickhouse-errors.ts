import { SinkError, SinkErrorCode, messageOf, nodeErrorCode } from '../sink.error';

/** ClickHouse server error codes worth a retry (overload, network, timeouts). */
const RETRIABLE: Readonly<Record<number, SinkErrorCode>> = {
  159: 'TIMEOUT', // TIMEOUT_EXCEEDED
  202: 'TOO_MANY_CONNECTIONS', // TOO_MANY_SIMULTANEOUS_QUERIES
  203: 'TOO_MANY_CONNECTIONS', // NO_FREE_CONNECTION
  209: 'TIMEOUT', // SOCKET_TIMEOUT
  210: 'CONNECTION', // NETWORK_ERROR
  242: 'CONNECTION', // TABLE_IS_READ_ONLY (replica lost its keeper session)
  252: 'TOO_MANY_CONNECTIONS', // TOO_MANY_PARTS: back off, merges catch up
  319: 'CONNECTION', // UNKNOWN_STATUS_OF_INSERT
  394: 'TIMEOUT', // QUERY_WAS_CANCELLED
  999: 'CONNECTION', // KEEPER_EXCEPTION
};

const PERMANENT: Readonly<Record<number, SinkErrorCode>> = {
  62: 'SYNTAX', // SYNTAX_ERROR
  46: 'SYNTAX', // UNKNOWN_FUNCTION
  47: 'SYNTAX', // UNKNOWN_IDENTIFIER
  115: 'SYNTAX', // UNKNOWN_SETTING
  60: 'UNKNOWN_TABLE', // UNKNOWN_TABLE
  81: 'UNKNOWN_TABLE', // UNKNOWN_DATABASE
  16: 'TYPE', // NO_SUCH_COLUMN_IN_TABLE
  6: 'TYPE', // CANNOT_PARSE_TEXT
  27: 'TYPE', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  53: 'TYPE', // TYPE_MISMATCH
  50: 'TYPE', // UNKNOWN_TYPE
  70: 'TYPE', // CANNOT_CONVERT_TYPE
  117: 'TYPE', // INCORRECT_DATA
  43: 'TYPE', // ILLEGAL_TYPE_OF_ARGUMENT
  349: 'CONSTRAINT', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  469: 'CONSTRAINT', // VIOLATED_CONSTRAINT
};

function serverCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  if (typeof code === 'number') return code;
  const match = /Code: (\d+)/.exec(messageOf(error));
  return match ? Number(match[1]) : undefined;
}

/** Classifies anything the ClickHouse client throws as a SinkError. */
export function toClickHouseSinkError(error: unknown, context: string): SinkError {
  if (error instanceof SinkError) return error;
  const message = `clickhouse: ${context}: ${messageOf(error)}`;
  const code = serverCode(error);
  if (code !== undefined) {
    const retriable = RETRIABLE[code];
    if (retriable) return new SinkError(retriable, message, { cause: error, sink: 'clickhouse' });
    return new SinkError(PERMANENT[code] ?? 'UNKNOWN', message, {
      cause: error,
      sink: 'clickhouse',
      retriable: false,
    });
  }
  const network = nodeErrorCode(error);
  if (network) return new SinkError(network, message, { cause: error, sink: 'clickhouse' });
  return new SinkError('UNKNOWN', message, { cause: error, sink: 'clickhouse', retriable: false });
}
