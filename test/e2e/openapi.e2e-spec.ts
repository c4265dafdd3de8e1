import { http, startTestApp, type TestApp } from '../support/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
  });
  afterAll(() => t.close());

  it('serves Swagger UI at /docs', async () => {
    const res = await http(t.baseUrl, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('gives every operation an operationId, a summary and problem-details error responses', () => {
    // ProblemDto, or a module's subclass of it (its own extension members on top of every common one).
    const common = Object.keys(doc.components.schemas.ProblemDto.properties);
    const isProblemSchema = (ref: string) => {
      const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      return ref.startsWith('#/components/schemas/') && /ProblemDto$/.test(ref) && common.every((p) => p in schema.properties);
    };
    expect(isProblemSchema('#/components/schemas/TaskInstanceProblemDto') && isProblemSchema('#/components/schemas/XComProblemDto')).toBe(true);
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, op })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(4);
    for (const { op } of ops) {
      expect(op.operationId).toMatch(/^[a-z_]+$/);
      expect(op.summary).toEqual(expect.any(String));
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      expect(errors.length).toBeGreaterThan(0);
      for (const [, response] of errors as [string, any][]) {
        const ref = response.content['application/problem+json'].schema.$ref;
        expect([ref, isProblemSchema(ref)]).toEqual([ref, true]);
      }
    }
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(ops.length);
  });

  it('shows a 409 only where the policy can produce one, and a 503 on every unit-of-work route', () => {
    const rtif = doc.paths['/execution/task-instances/{task_instance_id}/rtif'].put;
    const create = doc.paths['/api/v1/task-instances'].post;
    expect(Object.keys(rtif.responses).sort()).toEqual(['201', '401', '403', '404', '410', '413', '415', '422', '503']);
    expect(create.responses['409'].description).toContain('already_exists');
    expect(create.responses['503']).toBeDefined();
    expect(doc.paths['/api/v1/task-instances/{task_instance_id}'].get.responses['409']).toBeUndefined();
  });

  it('documents Idempotency-Key on the routes that opt in: the header, the replay header, and the 400, 409 and 422 answers', () => {
    const create = doc.paths['/api/v1/task-instances'].post;
    expect(create.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false, schema: expect.objectContaining({ type: 'string', maxLength: 257 }) }),
    );
    expect(create['x-idempotency-key']).toBe('optional');
    expect(Object.keys(create.responses['201'].headers).sort()).toEqual(['Idempotent-Replayed', 'Location']);
    const examples = (status: string) => Object.keys(create.responses[status].content['application/problem+json'].examples).sort();
    expect(examples('400')).toEqual(['idempotency_key_invalid']);
    expect(examples('409')).toEqual(['already_exists', 'idempotency_key_in_use', 'unique_violation']);
    expect(examples('422')).toEqual(['idempotency_key_reused', 'validation_error']);
    // Routes that do not opt in say nothing about keys.
    const rtif = doc.paths['/execution/task-instances/{task_instance_id}/rtif'].put;
    expect(JSON.stringify(rtif)).not.toMatch(/[Ii]dempoten(cy-Key|t-Replayed)/);
    expect(rtif['x-idempotency-key']).toBeUndefined();
  });
});
