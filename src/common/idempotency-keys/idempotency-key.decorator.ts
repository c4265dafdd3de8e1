import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { ApiProblemResponse } from '../openapi/api-problem-response';
import { UNIT_OF_WORK_POLICY, type UnitOfWorkPolicy } from '../unit-of-work/unit-of-work.policy';
import { IDEMPOTENCY_KEY_HEADER, KEY_FORMAT, KEY_MAX_LENGTH, REPLAYED_HEADER } from './idempotency-key.header';
import { assertKeyFitsPolicy, IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from './idempotency-key.mode';
import { IDEMPOTENCY_KEY_EXTENSION } from './idempotency-keys.openapi';

export type { IdempotencyKeyMode } from './idempotency-key.mode';

/**
 * The route honours an `Idempotency-Key` header: a retry with the same key gets the first outcome
 * again instead of executing twice. Only on a handler whose unit of work is `idempotent: false`
 * (checked when the second of the two decorators is applied). Documents the header, its 400 and the
 * `x-idempotency-key` extension; the key's 409 and 422 examples and the replay header are added to
 * the document afterwards (`applyIdempotencyKeysToDocument`), as Swagger's decorators replace, not
 * merge, a status's examples.
 *
 * @example
 * \@UnitOfWork({ idempotent: false })
 * \@IdempotencyKey('optional')
 */
export function IdempotencyKey(mode: IdempotencyKeyMode): MethodDecorator {
  if (mode !== 'optional' && mode !== 'required') throw new TypeError(`@IdempotencyKey(): mode must be 'optional' or 'required'`);
  const docs = applyDecorators(SetMetadata(IDEMPOTENCY_KEY_MODE, mode), ...keyDocs(mode));
  return (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
    if (typeof descriptor?.value !== 'function') throw new TypeError('@IdempotencyKey() goes on a route handler');
    // A class-level @UnitOfWork runs after this and checks there; a handler's own one may already be here.
    assertKeyFitsPolicy(mode, Reflect.getMetadata(UNIT_OF_WORK_POLICY, descriptor.value) as UnitOfWorkPolicy | undefined, `${String(key)}`);
    docs(target, key, descriptor);
    return descriptor;
  };
}

function keyDocs(mode: IdempotencyKeyMode): MethodDecorator[] {
  return [
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: mode === 'required',
      description:
        `${mode === 'required' ? 'Required' : 'Optional'}. A unique value per operation (a UUID is best), per the IETF draft draft-ietf-httpapi-idempotency-key-header: ${KEY_FORMAT}. ` +
        `The first request with a key is executed and its outcome (2xx, or a 4xx verdict such as 409 already_exists) is kept for IDEMPOTENCY_KEY_TTL_SECONDS (default 24 h); ` +
        `repeating the same request (method, path, query, body) with the key returns that outcome again, byte for byte, with \`${REPLAYED_HEADER}: true\`, and executes nothing. ` +
        'The same key with a different request: 422 idempotency_key_reused. While the first is in flight: 409 idempotency_key_in_use. 5xx outcomes and validation errors are not kept. ' +
        "Keys are scoped to the caller (the token's subject) and the route.",
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: KEY_MAX_LENGTH + 2,
        pattern: '^"?[A-Za-z0-9._~:+/=-]{1,255}"?$',
        example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
      },
    }),
    ApiExtension(IDEMPOTENCY_KEY_EXTENSION, mode),
    ApiProblemResponse(400, mode === 'required' ? 'The Idempotency-Key header is missing or malformed.' : 'The Idempotency-Key header is malformed.', [
      ...(mode === 'required'
        ? [{ reason: 'idempotency_key_missing', detail: 'This operation requires an Idempotency-Key header (a unique value per operation, e.g. a UUID).' }]
        : []),
      {
        reason: 'idempotency_key_invalid',
        detail: 'The Idempotency-Key header must be 1 to 255 characters from A-Z a-z 0-9 and - _ . ~ : + / =, bare or in double quotes.',
      },
    ]),
  ];
}
