import { ApiProperty } from '@nestjs/swagger';
import { parseExactJson, type ExactJsonObject } from '../../../common/json/exact-json';
import { JSON_VALUE_SCHEMA } from '../../../common/json/json-value.schema';
import type { RenderedTaskInstanceFields } from '../rendered-task-instance-fields.entity';
import { JsonBody } from '../../../common/problem/validation';

export const RTIF_BODY_EXAMPLE = {
  bash_command: 'echo "hello from 2026-11-25"',
  env: { TARGET: 'prod', API_TOKEN: 'will-be-redacted' },
  op_args: ['a', 1, true, null],
};

/**
 * `PUT …/rtif` body: template field name → rendered value (Airflow's `dict[str, JsonValue]`), handed
 * to the handler as `fields`, exactly as parsed. Anything but a JSON object (an array, a scalar,
 * null, a missing body) is a 422. Bodies nested deeper than `HTTP_MAX_JSON_DEPTH`, lone surrogates
 * and `__proto__` keys never get here: the HTTP layer's `hostileJsonGuard` refuses them for every
 * route, once. U+0000 is left to PostgreSQL (22P05, `value_rejected`), as it always was here: the
 * hot path walks the value once, in the redaction.
 */
@JsonBody({ json: 'object', whole: 'fields', freeForm: { refuseNul: false } })
export class RenderedFieldsBody {
  fields: ExactJsonObject;
}

export class RenderedFieldsDto {
  @ApiProperty() dag_id: string;
  @ApiProperty() run_id: string;
  @ApiProperty() task_id: string;
  @ApiProperty() map_index: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: JSON_VALUE_SCHEMA,
    description: 'Template field name → rendered value, after redaction.',
    example: { ...RTIF_BODY_EXAMPLE, env: { TARGET: 'prod', API_TOKEN: '***' } },
  })
  rendered_fields: ExactJsonObject;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at: string;

  static from(row: RenderedTaskInstanceFields): RenderedFieldsDto {
    return {
      dag_id: row.dagId,
      run_id: row.runId,
      task_id: row.taskId,
      map_index: row.mapIndex,
      // Parsed from the jsonb text: numbers beyond a double reach the response exactly.
      rendered_fields: parseExactJson(row.renderedFields) as ExactJsonObject,
      updated_at: row.updatedAt.toISOString(),
    };
  }
}

export class RtifWrittenDto {
  @ApiProperty({ example: 'Rendered task instance fields successfully set' })
  message: string;
}
