import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RequestValidationException } from '../../common/problem/validation';
import type { JsonObject } from '../rendered-task-instance-fields.entity';
import { jsonDepth } from '../redaction';

/**
 * Accepts a JSON object whose values are any JSON (Airflow's `dict[str, JsonValue]`), and rejects
 * anything else with 422: arrays, strings, numbers, null, a missing body, and bodies nested
 * deeper than `RTIF_MAX_DEPTH` (which would otherwise exhaust the stack or PostgreSQL's jsonb limits).
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform<unknown, JsonObject> {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  transform(value: unknown): JsonObject {
    if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
      const got = value === undefined ? 'no body' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new RequestValidationException([{ path: '', message: `must be a JSON object, got ${got}` }], 'The request body must be a JSON object.');
    }
    const max = this.config.rtif.maxDepth;
    if (jsonDepth(value, max) > max) {
      throw new RequestValidationException([{ path: '', message: `must not be nested deeper than ${max} levels` }], 'The request body is nested too deeply.');
    }
    return value as JsonObject;
  }
}
