import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { applyApiVersionToDocument } from './common/api-version/api-version.openapi';
import { applyAuthToDocument, BEARER_SCHEME } from './common/auth/auth.openapi';
import { applyIdempotencyKeysToDocument } from './common/idempotency-keys/idempotency-keys.openapi';
import { applyErrorFormatsToDocument } from './common/openapi/api-problem-response';
import { ProblemDto } from './common/problem/problem.dto';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('task-execution-api')
    .setDescription(
      'The task-instance side of a workflow engine execution API (Airflow 3 compatible). Errors on `/execution/…` use the Airflow execution API format (`application/json`, `{"detail": …}`) unless the `Accept` header prefers `application/problem+json`; everywhere else they are RFC 9457 problem details with a machine-readable `reason`. A 409 always means a real conflict (do not retry); a 503 carries `Retry-After` and is safe to retry.',
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A task-instance token for `/execution/…`, an admin token for `/api/…`. Locally, paste the admin token printed at start-up.',
      },
      BEARER_SCHEME,
    )
    .build();
  return applyErrorFormatsToDocument(
    applyApiVersionToDocument(applyIdempotencyKeysToDocument(applyAuthToDocument(SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] })))),
  );
}

/** Swagger UI at `/docs`, the document at `/openapi.json`. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    swaggerOptions: { persistAuthorization: true, displayOperationId: true },
  });
  return document;
}
