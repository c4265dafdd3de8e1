import { ValidateBy } from 'class-validator';
import type { RuleContext } from '../problem/validation';
import { API_VERSION_HEADER } from './api-version.header';
import { isIsoDate } from './version-bundle';

/**
 * The execution API's version header, validated by `ApiVersionMiddleware` through
 * `validateRequestPart(…, 'header')` (issue path `header Airflow-API-Version`). A calendar date
 * spelled `YYYY-MM-DD` (`isIsoDate`, the rule the version bundle resolves by): FastAPI's `date`
 * header parameter refuses anything else with 422, and the message never repeats the value.
 */
export class ApiVersionHeaders {
  @ValidateBy(
    {
      name: 'isIsoDate',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isIsoDate(value),
        defaultMessage: () => `${API_VERSION_HEADER} must be a date (YYYY-MM-DD)`,
      },
    },
    { context: { detail: `The ${API_VERSION_HEADER} header is not a valid date.` } satisfies RuleContext },
  )
  [API_VERSION_HEADER]: string;
}
