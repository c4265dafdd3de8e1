import { Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '../../common/problem/validation';
import { isExactNumber, type ExactJsonObject } from '../../common/json/exact-json';

/**
 * Accepts a JSON object whose values are any JSON (Airflow's `dict[str, JsonValue]`), and rejects
 * anything else with 422: arrays, strings, numbers, null, a missing body. Bodies nested deeper
 * than `RTIF_MAX_DEPTH`, lone surrogates and `__proto__` keys never get here: the HTTP layer's
 * `hostileJsonGuard` (src/common/http/configure-http.ts) refuses them for every route, once.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform<unknown, ExactJsonObject> {
  transform(value: unknown): ExactJsonObject {
    if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value) || isExactNumber(value)) {
      const got = value === undefined ? 'an empty body' : isExactNumber(value) ? 'a number' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new RequestValidationException([{ path: '', message: `must be a JSON object, got ${got}` }], 'The request body must be a JSON object.');
    }
    return value as ExactJsonObject;
  }
}
