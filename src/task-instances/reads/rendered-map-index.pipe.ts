import { Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '../../common/problem/validation';

/** The column's size (`task_instance.rendered_map_index varchar(250)`, as in Airflow). */
export const RENDERED_MAP_INDEX_MAX_LENGTH = 250;

/** Airflow's plain-string `detail` for an empty label (`ti_patch_rendered_map_index`). */
export const EMPTY_RENDERED_MAP_INDEX = 'rendered_map_index cannot be empty';

// eslint-disable-next-line no-control-regex -- U+0000 cannot reach PostgreSQL text; other controls are no label
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * `PATCH …/rendered-map-index` takes a bare JSON string (Airflow's `Annotated[str, Body()]`). Anything
 * else, an empty string, a control character or more than the column holds is a 422 that never
 * echoes the value. The HTTP layer has already refused malformed JSON, lone surrogates and oversize
 * bodies.
 */
@Injectable()
export class RenderedMapIndexPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const fail = (message: string, detail = 'The request body must be a non-empty JSON string.') =>
      new RequestValidationException([{ path: '', message }], detail);
    if (typeof value !== 'string') throw fail('must be a JSON string');
    if (value.length === 0) throw fail('must not be empty', EMPTY_RENDERED_MAP_INDEX);
    if (value.length > RENDERED_MAP_INDEX_MAX_LENGTH) throw fail(`must be at most ${RENDERED_MAP_INDEX_MAX_LENGTH} characters`);
    if (CONTROL.test(value)) throw fail('must not contain control characters');
    return value;
  }
}
