import type { PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '../../problem/validation';

/** Control characters: no Airflow id or key has them, and U+0000 cannot reach PostgreSQL text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Validates a text path parameter: 1 to `maxLength` characters, no control characters; 422
 * naming the parameter, without echoing it. A wildcard parameter (`*key`, which Express 5 gives
 * as its segments) is joined back with `/`, so a key may contain slashes, as in Airflow's
 * `{key:path}`.
 */
export class TextParamPipe implements PipeTransform<unknown, string> {
  constructor(private readonly maxLength: number) {}

  transform(value: unknown, metadata: { data?: string }): string {
    const name = metadata.data ?? 'parameter';
    const text = Array.isArray(value) ? value.join('/') : value;
    const fail = (message: string) => new RequestValidationException([{ path: name, message, location: 'path' }], `The path parameter ${name} is not valid.`);
    if (typeof text !== 'string' || text.length === 0) throw fail('must not be empty');
    if (text.length > this.maxLength) throw fail(`must be at most ${this.maxLength} characters`);
    if (CONTROL.test(text)) throw fail('must not contain control characters');
    return text;
  }
}
