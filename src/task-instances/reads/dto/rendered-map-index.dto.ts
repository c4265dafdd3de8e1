import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { JsonBody, type RuleContext } from '../../../common/problem/validation';

/** The column's size (`task_instance.rendered_map_index varchar(250)`, as in Airflow). */
export const RENDERED_MAP_INDEX_MAX_LENGTH = 250;

/** Airflow's plain-string `detail` for an empty label (`ti_patch_rendered_map_index`). */
export const EMPTY_RENDERED_MAP_INDEX = 'rendered_map_index cannot be empty';

const NOT_A_LABEL: RuleContext = { detail: 'The request body must be a non-empty JSON string.' };

/**
 * `PATCH …/rendered-map-index` takes a bare JSON string (Airflow's `Annotated[str, Body()]`), handed
 * to the handler as `label`. Anything else (a missing body included), an empty string, a control
 * character or more than the column holds is a 422 that never echoes the value. The HTTP layer has
 * already refused malformed JSON, lone surrogates and oversize bodies.
 */
@JsonBody({ whole: 'label' })
export class RenderedMapIndexBody {
  // Listed in the order they answer: class-validator reports a stack's rules bottom-up, and the
  // first one reported speaks (the type rule first, whatever its place).
  // eslint-disable-next-line no-control-regex -- U+0000 cannot reach PostgreSQL text; other controls are no label
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'must not contain control characters', context: NOT_A_LABEL })
  @MaxLength(RENDERED_MAP_INDEX_MAX_LENGTH, { message: `must be at most ${RENDERED_MAP_INDEX_MAX_LENGTH} characters`, context: NOT_A_LABEL })
  @MinLength(1, { message: 'must not be empty', context: { detail: EMPTY_RENDERED_MAP_INDEX } satisfies RuleContext })
  @IsString({ message: 'must be a JSON string', context: NOT_A_LABEL })
  label: string;
}
