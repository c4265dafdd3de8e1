import type { ExactJsonValue } from '../../common/json/exact-json';
import { JsonBody } from '../../common/problem/validation';

/**
 * `POST /execution/xcoms/…` body: any JSON value, handed to the handler as `value`, exactly as the
 * HTTP layer parsed it (numbers kept as written: `parseExactJson`). That layer has already refused
 * what no route may see (size, depth, malformed JSON or UTF-8, lone surrogates, `__proto__`); this
 * refuses a missing body and U+0000 (PostgreSQL text and jsonb cannot hold it).
 */
@JsonBody({ json: 'value', whole: 'value', freeForm: { refuseNul: true } })
export class XComValueBody {
  value: ExactJsonValue;
}
