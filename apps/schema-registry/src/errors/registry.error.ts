/**
 * Confluent Schema Registry error codes: the HTTP status is the first three digits
 * (40401 → 404), except for codes that are plain statuses (400, 409, 415, 422).
 */
export const REGISTRY_ERROR_CODES = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_SOFT_DELETED: 40404,
  SUBJECT_NOT_SOFT_DELETED: 40405,
  VERSION_SOFT_DELETED: 40406,
  VERSION_NOT_SOFT_DELETED: 40407,
  SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: 40408,
  BAD_REQUEST: 400,
  INCOMPATIBLE_SCHEMA: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_ENTITY: 422,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  INVALID_MODE: 42204,
  OPERATION_NOT_PERMITTED: 42205,
  STORE_ERROR: 50001,
  /** Not Confluent's: this instance is shutting down (503, retry elsewhere). */
  SHUTTING_DOWN: 50301,
} as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[keyof typeof REGISTRY_ERROR_CODES];

/** `42201` → 422, `409` → 409. */
export function httpStatusOf(errorCode: number): number {
  return errorCode >= 10_000 ? Math.floor(errorCode / 100) : errorCode;
}

/**
 * An expected failure with its Confluent error code. Thrown by services and by the body
 * parser; {@link RegistryExceptionFilter} turns it into `{error_code, message}`.
 * `retriable` says whether the same request may succeed later (store errors only).
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number;

  constructor(
    readonly errorCode: RegistryErrorCode,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = httpStatusOf(errorCode);
  }

  static subjectNotFound(subject: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.SUBJECT_NOT_FOUND,
      `Subject '${subject}' not found.`,
    );
  }

  static versionNotFound(version: number | string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.VERSION_NOT_FOUND,
      `Version ${version} not found.`,
    );
  }

  static schemaNotFound(id?: number): RegistryError {
    const message = id === undefined ? 'Schema not found' : `Schema ${id} not found`;
    return new RegistryError(REGISTRY_ERROR_CODES.SCHEMA_NOT_FOUND, message);
  }

  static subjectSoftDeleted(subject: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.SUBJECT_SOFT_DELETED,
      `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
    );
  }

  static subjectNotSoftDeleted(subject: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.SUBJECT_NOT_SOFT_DELETED,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    );
  }

  static versionSoftDeleted(subject: string, version: number): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.VERSION_SOFT_DELETED,
      `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
    );
  }

  static versionNotSoftDeleted(subject: string, version: number): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.VERSION_NOT_SOFT_DELETED,
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    );
  }

  static subjectCompatibilityNotConfigured(subject: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  }

  static incompatible(subject: string, messages: readonly string[]): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.INCOMPATIBLE_SCHEMA,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join('; ')}]`,
    );
  }

  static invalidSchema(reason: string): RegistryError {
    return new RegistryError(REGISTRY_ERROR_CODES.INVALID_SCHEMA, `Invalid schema: ${reason}`);
  }

  static invalidVersion(raw: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.INVALID_VERSION,
      `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }

  static invalidCompatibilityLevel(raw: unknown): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.INVALID_COMPATIBILITY_LEVEL,
      `Invalid compatibility level${typeof raw === 'string' ? ` '${raw}'` : ''}. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
    );
  }

  static invalidMode(raw: unknown): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.INVALID_MODE,
      `Invalid mode ${JSON.stringify(raw ?? null)}; valid modes are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT.`,
    );
  }

  static modeNotChangeable(): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.OPERATION_NOT_PERMITTED,
      'Mode changes are not supported: this registry is always READWRITE.',
    );
  }

  static unsupportedMediaType(contentType: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
      `Unsupported Media Type: ${contentType}`,
    );
  }

  static badRequest(message: string): RegistryError {
    return new RegistryError(REGISTRY_ERROR_CODES.BAD_REQUEST, message);
  }

  static malformedBody(reason: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.UNPROCESSABLE_ENTITY,
      `Malformed request body: ${reason}`,
    );
  }

  static invalidBody(reason: string): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.UNPROCESSABLE_ENTITY,
      `Invalid request body: ${reason}`,
    );
  }

  static store(cause: unknown): RegistryError {
    return new RegistryError(
      REGISTRY_ERROR_CODES.STORE_ERROR,
      'Error in the backend data store',
      true,
      { cause },
    );
  }
}

export const isRegistryError = (value: unknown): value is RegistryError =>
  value instanceof RegistryError;
