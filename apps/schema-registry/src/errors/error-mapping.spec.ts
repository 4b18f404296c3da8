import { HttpException, NotFoundException } from '@nestjs/common';
import { toErrorResponse } from './error-mapping';
import { RegistryError, httpStatusOf } from './registry.error';

describe(toErrorResponse.name, () => {
  it.each([
    [RegistryError.subjectNotFound('s'), 404, 40401],
    [RegistryError.versionNotFound(3), 404, 40402],
    [RegistryError.schemaNotFound(9), 404, 40403],
    [RegistryError.subjectSoftDeleted('s'), 404, 40404],
    [RegistryError.subjectNotSoftDeleted('s'), 404, 40405],
    [RegistryError.versionSoftDeleted('s', 1), 404, 40406],
    [RegistryError.versionNotSoftDeleted('s', 1), 404, 40407],
    [RegistryError.subjectCompatibilityNotConfigured('s'), 404, 40408],
    [RegistryError.incompatible('s', ['field x']), 409, 409],
    [RegistryError.malformedBody('bad'), 422, 422],
    [RegistryError.invalidSchema('bad'), 422, 42201],
    [RegistryError.invalidVersion('x'), 422, 42202],
    [RegistryError.invalidCompatibilityLevel('X'), 422, 42203],
    [RegistryError.store(new Error('connection refused')), 500, 50001],
  ])('maps %p to HTTP %i with error_code %i', (error, status, code) => {
    const response = toErrorResponse(error);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error_code: code, message: error.message });
  });

  it('keeps the messages of an incompatible schema in the body', () => {
    expect(
      toErrorResponse(
        RegistryError.incompatible('orders-value', ['reader field "a" has no default']),
      ).body.message,
    ).toBe(
      'Schema being registered is incompatible with an earlier schema for subject "orders-value", details: [reader field "a" has no default]',
    );
  });

  it('never leaks the cause of a store error', () => {
    const response = toErrorResponse(
      RegistryError.store(new Error('password authentication failed for user x')),
    );
    expect(response.body.message).not.toContain('password');
    expect(response.unexpected).toBe(true);
  });

  it('uses the status of Nest and Fastify HTTP errors as the error code', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'))).toEqual({
      status: 404,
      body: { error_code: 404, message: 'Cannot GET /x' },
      unexpected: false,
    });
    expect(
      toErrorResponse(new HttpException('Unsupported Media Type: text/plain', 415)).body,
    ).toEqual({
      error_code: 415,
      message: 'Unsupported Media Type: text/plain',
    });
  });

  it('answers anything else with a bare 500', () => {
    expect(toErrorResponse(new TypeError('x is undefined'))).toEqual({
      status: 500,
      body: { error_code: 500, message: 'Internal server error' },
      unexpected: true,
    });
    expect(toErrorResponse('a string').status).toBe(500);
  });
});

describe(httpStatusOf.name, () => {
  it.each([
    [40401, 404],
    [42201, 422],
    [50001, 500],
    [409, 409],
    [415, 415],
  ])('maps error code %i to status %i', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });
});
