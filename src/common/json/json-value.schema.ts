/** Any JSON value in OpenAPI, as Airflow's execution API documents `JsonValue`. */
export const JSON_VALUE_SCHEMA = {
  oneOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'integer' },
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'boolean' },
  ],
  nullable: true,
};
