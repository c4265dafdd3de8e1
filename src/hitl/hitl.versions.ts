import { defineVersionChanges, type JsonRecord, type SchemaInstruction } from '../common/api-version/version-changes';

/**
 * How `HITLDetailResponse` changed. Airflow declares no Cadwyn change for it (HITL was new in 3.1
 * and renamed its fields during 3.1's development, apache/airflow#55010): `user_id` became
 * `responded_by_user` (`{id, name}`) and `response_at` became `responded_at`. The released 3.1.0
 * Task SDK sends 2025-09-23 with the new names; clients built against 2025-08-10 read the old ones,
 * so the rename is declared at 2025-09-23.
 */
function renamed(schema: string, newest: string, previous: string, convert: (value: unknown) => unknown): SchemaInstruction {
  return Object.freeze({
    schema,
    field: newest,
    summary: `was named ${previous}`,
    toPrevious: (body: JsonRecord) => {
      if (!(newest in body)) return;
      body[previous] = convert(body[newest]);
      delete body[newest];
    },
  });
}

const userId = (user: unknown): unknown => (user !== null && typeof user === 'object' ? ((user as JsonRecord).id ?? null) : null);

export const HITL_VERSION_CHANGES = defineVersionChanges('hitl', { HITLDetailResponse: {} }, [
  {
    version: '2025-09-23',
    name: 'RenameHITLResponseFields',
    description: 'HITLDetailResponse: `user_id` (a string) became `responded_by_user` ({id, name}); `response_at` became `responded_at`.',
    instructions: [
      renamed('HITLDetailResponse', 'responded_by_user', 'user_id', userId),
      renamed('HITLDetailResponse', 'responded_at', 'response_at', (v) => v),
    ],
  },
]);
