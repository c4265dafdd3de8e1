import type { OpenAPIObject } from '@nestjs/swagger';
import { routeArea } from '../auth/route-area';
import { API_VERSION_HEADER } from './api-version.header';

const PARAMETER = {
  name: API_VERSION_HEADER,
  in: 'header',
  required: false,
  description:
    'The execution API version (a date) the caller speaks, as the Task SDK sends it. Absent: the newest. An unknown date is answered as the closest older version; one before the oldest version is 404, a value that is not a date 422. Routes with a versioned response answer in that version’s shape; this document shows the newest.',
  schema: { type: 'string', format: 'date', example: '2026-06-30' },
};

const ECHO = { description: 'The version the response was given in.', schema: { type: 'string', format: 'date' } };

/**
 * The version header on every execution-API operation, as Cadwyn documents it on every versioned
 * route (the middleware resolves it for all of them), and its echo on their 2xx responses.
 */
export function applyApiVersionToDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (routeArea(path) !== 'execution') continue;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document's operations are walked as untyped JSON
    for (const operation of Object.values(item) as Record<string, any>[]) {
      if (typeof operation !== 'object' || operation === null || operation.responses === undefined) continue;
      operation.parameters = [...(operation.parameters ?? []), PARAMETER];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        if (status.startsWith('2')) response.headers = { ...response.headers, [API_VERSION_HEADER]: ECHO };
      }
    }
  }
  return document;
}
