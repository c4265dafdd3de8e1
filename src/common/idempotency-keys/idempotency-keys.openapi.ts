import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../problem/problem';
import { REPLAYED_HEADER } from './idempotency-key.header';

/** Operation extension `@Idempotency({ key })` sets: `optional` or `required`. */
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

/**
 * On every operation that honours `Idempotency-Key`: the replay header on its 2xx responses, and
 * the key's 422 among the route's own 422 examples (decorators would have replaced them).
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
