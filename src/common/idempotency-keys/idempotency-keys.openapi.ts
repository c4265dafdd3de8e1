import type { OpenAPIObject } from '@nestjs/swagger';
import { problemExampleObject } from '../openapi/api-problem-response';
import { PROBLEM_CONTENT_TYPE } from '../problem/problem';
import { REPLAYED_HEADER } from './idempotency-key.header';

/** Operation extension `@IdempotencyKey()` sets: `optional` or `required`. */
export const IDEMPOTENCY_KEY_EXTENSION = 'x-idempotency-key';

const REPLAYED_DOC = {
  description:
    '`true` when this is the stored response of an earlier request with the same Idempotency-Key (nothing was executed); absent on the first response.',
  schema: { type: 'string', enum: ['true'] },
};

const REUSED_EXAMPLE = {
  summary: 'idempotency_key_reused',
  value: {
    type: 'urn:task-execution-api:problem:idempotency_key_reused',
    title: 'Unprocessable Content',
    status: 422,
    detail: 'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
    instance: '/…',
    reason: 'idempotency_key_reused',
    correlation_id: '0193…',
  },
};

const IN_USE_EXAMPLE = problemExampleObject(409, {
  reason: 'idempotency_key_in_use',
  detail: 'A request with this Idempotency-Key is still being processed. Repeat it after Retry-After seconds to get its response.',
});

const IN_USE_DESCRIPTION =
  ' `idempotency_key_in_use` (with `Retry-After`) is the exception: the first request with this key is still in flight; repeat it later to get its response.';

/**
 * On every operation that honours `Idempotency-Key`: the replay header on its 2xx responses, the
 * key's 409 after the unit of work's own 409 examples, and its 422 among the route's own 422
 * examples (decorators would have replaced them).
 */
export function applyIdempotencyKeysToDocument(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document's operations are walked as untyped JSON
    for (const operation of Object.values(item) as Record<string, any>[]) {
      if (typeof operation !== 'object' || operation === null || operation[IDEMPOTENCY_KEY_EXTENSION] === undefined) continue;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
      const responses: Record<string, any> = (operation.responses ??= {});
      for (const [status, response] of Object.entries(responses)) {
        if (status.startsWith('2')) response.headers = { ...response.headers, [REPLAYED_HEADER]: REPLAYED_DOC };
      }
      const conflict = (responses['409'] ??= {
        description: 'A real conflict; do not retry.',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      });
      conflict.description = `${conflict.description}${IN_USE_DESCRIPTION}`;
      const conflictContent =
        (conflict.content ??= {})[PROBLEM_CONTENT_TYPE] ?? (conflict.content[PROBLEM_CONTENT_TYPE] = { schema: { $ref: '#/components/schemas/ProblemDto' } });
      conflictContent.examples = { ...conflictContent.examples, idempotency_key_in_use: IN_USE_EXAMPLE };
      const unprocessable = (responses['422'] ??= {
        description: '',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      });
      unprocessable.description = `${unprocessable.description ? `${unprocessable.description} ` : ''}\`idempotency_key_reused\`: the Idempotency-Key was already used for a different request.`;
      const content =
        (unprocessable.content ??= {})[PROBLEM_CONTENT_TYPE] ??
        (unprocessable.content[PROBLEM_CONTENT_TYPE] = { schema: { $ref: '#/components/schemas/ProblemDto' } });
      content.examples = { ...content.examples, idempotency_key_reused: REUSED_EXAMPLE };
    }
  }
  return document;
}
