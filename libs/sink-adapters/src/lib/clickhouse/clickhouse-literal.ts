import { assertIdentifier } from '../identifiers';
import { SinkError } from '../sink.error';
import { SinkValue } from '../sink.port';
import { formatUtcMillis, formatUtcSeconds, toDateString, toEpochMs } from '../time';

/** A backquoted identifier; throws unless `name` passes the strict identifier check. */
export function quoteIdentifier(name: string): string {
  return `\`${assertIdentifier(name)}\``;
}

/** The body of a ClickHouse single-quoted string literal. */
export function escapeString(value: string): string {
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '\0':
        out += '\\0';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

const bad = (type: string, value: unknown): never => {
  throw new SinkError('TYPE', `cannot render ${String(value)} as a ClickHouse ${type} literal`);
};

function integerLiteral(type: string, value: SinkValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return value;
  return bad(type, value);
}

function floatLiteral(type: string, value: SinkValue): string {
  const numeric = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*-?(nan|inf|infinity)\s*$/i;
  if (typeof value === 'string' && !numeric.test(value)) return bad(type, value);
  const n =
    typeof value === 'string'
      ? /nan/i.test(value)
        ? NaN
        : /inf/i.test(value)
          ? value.trim().startsWith('-')
            ? -Infinity
            : Infinity
          : Number(value)
      : value;
  if (typeof n === 'bigint') return n.toString();
  if (typeof n !== 'number') return bad(type, value);
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Renders `value` as a typed, escaped ClickHouse literal for the type named in a
 * `{name:Type}` placeholder. It is the fallback for servers without query parameters
 * (before 19.11): the result is a literal the parser cannot read as anything else.
 */
export function renderLiteral(value: SinkValue | undefined, type: string): string {
  const t = type.trim();
  const nullable = /^Nullable\((.+)\)$/.exec(t);
  if (value === null || value === undefined) {
    if (nullable) return 'NULL';
    return bad(t, value);
  }
  if (nullable) return renderLiteral(value, nullable[1]);
  if (t === 'String' || /^FixedString\(\d+\)$/.test(t) || /^LowCardinality\(String\)$/.test(t)) {
    const s = value instanceof Date ? value.toISOString() : String(value);
    return `'${escapeString(s)}'`;
  }
  if (t === 'Identifier') {
    if (typeof value !== 'string') return bad(t, value);
    return quoteIdentifier(value);
  }
  if (/^U?Int(8|16|32|64|128|256)$/.test(t) || t === 'Bool') return integerLiteral(t, value);
  if (/^Float(32|64)$/.test(t)) return floatLiteral(t, value);
  if (t === 'Date') return `toDate('${toDateString(value)}')`;
  if (/^DateTime(\('[A-Za-z_/+-]+'\))?$/.test(t)) {
    return `toDateTime('${formatUtcSeconds(toEpochMs(value))}', 'UTC')`;
  }
  const dt64 = /^DateTime64\((\d)(?:,\s*'[A-Za-z_/+-]+')?\)$/.exec(t);
  if (dt64) return `toDateTime64('${formatUtcMillis(toEpochMs(value))}', ${dt64[1]}, 'UTC')`;
  throw new SinkError('INVALID_ARGUMENT', `query parameter type ${t} is not supported`);
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;

/**
 * Replaces every `{name:Type}` placeholder with the rendered literal of `params[name]`.
 * A placeholder without a parameter is an error, never left for the server to guess.
 */
export function bindParams(sql: string, params: Readonly<Record<string, SinkValue>>): string {
  return sql.replace(PLACEHOLDER, (_match, name: string, type: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) {
      throw new SinkError('INVALID_ARGUMENT', `query parameter ${name} has no value`);
    }
    return renderLiteral(params[name], type);
  });
}
