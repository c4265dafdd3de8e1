import { Injectable, type PipeTransform } from '@nestjs/common';
import { assertJsonObject } from './strict-body.pipe';
import type { ExactJsonObject } from '../../json/exact-json';

/**
 * Accepts a JSON object whose values are any JSON (Airflow's `dict[str, JsonValue]`), and rejects
 * anything else with 422: arrays, strings, numbers, null, a missing body. Bodies nested deeper
 * than `HTTP_MAX_JSON_DEPTH`, lone surrogates and `__proto__` keys never get here: the HTTP layer's
 * `hostileJsonGuard` (src/common/http/configure-http.ts) refuses them for every route, once.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform<unknown, ExactJsonObject> {
  transform(value: unknown): ExactJsonObject {
    assertJsonObject(value);
    return value as ExactJsonObject;
  }
}
