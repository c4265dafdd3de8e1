import { http, startTestApp, type TestApp } from '../support/test-app';

describe('security headers (helmet) and Swagger UI under its CSP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('sets helmet headers on API responses, errors included, and no X-Powered-By', async () => {
    for (const res of [
      await http(t.baseUrl, 'GET', '/api/v1/task-instances/01939b7e-0000-7000-8000-000000000000'),
      await http(t.baseUrl, 'GET', '/api/v1/task-instances/x', undefined, { authorization: undefined }),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('marks API responses no-store (they carry tokens and rendered fields), but not Swagger UI assets', async () => {
    const ti = (await http(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: `cache_${Date.now()}`, run_id: 'r', task_id: 't' })).body;
    const token = await http(t.baseUrl, 'POST', `/api/v1/task-instances/${ti.id}/token`);
    expect([token.status, token.headers.get('cache-control')]).toEqual([201, 'no-store']);
    const rtif = await http(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { a: 1 });
    expect([rtif.status, rtif.headers.get('cache-control')]).toEqual([201, 'no-store']);
    // An ETag is only useful to a cache; none may keep these responses, so none is computed.
    const read = await http(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
    expect([read.status, read.headers.get('cache-control'), read.headers.get('etag')]).toEqual([200, 'no-store', null]);
    const asset = await fetch(`${t.baseUrl}/docs/swagger-ui.css`);
    expect(asset.headers.get('cache-control')).not.toBe('no-store');
    await asset.arrayBuffer();
  });

  it('serves Swagger UI with a CSP that allows only its own scripts, and every asset it references loads', async () => {
    const page = await http(t.baseUrl, 'GET', '/docs');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // No inline script: every <script> names a same-origin src, which script-src 'self' allows.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src=["'][^"':]+["']/);
      expect(inline.trim()).toBe('');
    }
    const assets = [...page.text.matchAll(/(?:src|href)=["']([^"']+\.(?:js|css|png))["']/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['./docs/swagger-ui-bundle.js', './docs/swagger-ui-init.js', './docs/swagger-ui.css']));
    for (const asset of assets) {
      // Relative to the page's URL, /docs, as a browser resolves it.
      const res = await fetch(new URL(asset, `${t.baseUrl}/docs`));
      const type = asset.endsWith('.js') ? /javascript/ : asset.endsWith('.css') ? /text\/css/ : /image\/png/;
      // nosniff makes browsers refuse a script or style served under another type.
      expect([asset, res.status, type.test(res.headers.get('content-type') ?? '')]).toEqual([asset, 200, true]);
      await res.arrayBuffer();
    }
  });

  it("configures Swagger UI's Authorize dialog: a bearer JWT scheme, required by every protected operation", async () => {
    const doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: expect.any(String) },
    });
    const operations = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.values(item).map((op: any) => ({ path, op })));
    expect(operations.length).toBeGreaterThanOrEqual(5);
    const operations403 = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, op })),
    );
    for (const { path, op } of operations) {
      expect([path, op.security]).toEqual([path, [{ bearer: [] }]]);
      expect(op.responses['401'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/ProblemDto');
    }
    for (const { path, method, op } of operations403) {
      // XCom reads accept a token of any task instance of the dag: their refusal is wrong_dag.
      const xcomRead = path.startsWith('/execution/xcoms/') && (method === 'get' || method === 'head');
      // Variables and connections name no task instance: their refusal is the access policy's access_denied.
      const byPolicy = /^\/execution\/(variables|connections)\//.test(path);
      const expected = path.startsWith('/api/')
        ? ['admin_scope_required']
        : xcomRead
          ? ['wrong_dag', 'wrong_scope']
          : byPolicy
            ? ['access_denied', 'wrong_scope']
            : ['wrong_task_instance', 'wrong_scope'];
      expect([path, method, Object.keys(op.responses['403'].content['application/problem+json'].examples)]).toEqual([path, method, expected]);
    }
    const rtif = doc.paths['/execution/task-instances/{task_instance_id}/rtif'].put;
    expect(rtif.responses['201'].headers['Refreshed-API-Token'].schema).toEqual({ type: 'string' });
    // Admin routes never refresh an execution token (their 201 carries Location and the replay header only).
    expect(doc.paths['/api/v1/task-instances'].post.responses['201'].headers['Refreshed-API-Token']).toBeUndefined();
    const init = await fetch(`${t.baseUrl}/docs/swagger-ui-init.js`).then((r) => r.text());
    expect(init).toContain('"persistAuthorization": true');
  });

  it('leaves CORS off when CORS_ORIGINS is unset', async () => {
    const preflight = await fetch(`${t.baseUrl}/api/v1/task-instances`, {
      method: 'OPTIONS',
      headers: { origin: 'http://ui.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const get = await http(t.baseUrl, 'GET', '/openapi.json', undefined, { origin: 'http://ui.example' });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS when configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'http://ui.example, https://airflow.example' } });
  });
  afterAll(() => t.close());

  const preflight = (origin: string) =>
    fetch(`${t.baseUrl}/execution/task-instances/01939b7e-0000-7000-8000-000000000000/rtif`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers preflights from a listed origin, allowing the Authorization header and exposing Refreshed-API-Token', async () => {
    const res = await preflight('https://airflow.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://airflow.example');
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type,correlation-id,Idempotency-Key');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    const get = await http(t.baseUrl, 'GET', '/openapi.json', undefined, { origin: 'http://ui.example' });
    expect(get.headers.get('access-control-allow-origin')).toBe('http://ui.example');
    expect(get.headers.get('access-control-expose-headers')).toBe(
      'Refreshed-API-Token,correlation-id,Retry-After,WWW-Authenticate,Location,Idempotent-Replayed',
    );
  });

  it('does not allow other origins', async () => {
    const res = await preflight('http://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
