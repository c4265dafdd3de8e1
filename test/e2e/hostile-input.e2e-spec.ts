import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createTaskInstance, type HttpResult, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { ACCEPT_PROBLEM } from '../support/problem';
import { withDirect } from '../support/test-database';
import { bearer, defaultTokenFor, executionToken } from '../support/tokens';
import { HOSTILE_FIXTURE, WRITE_ROUTES, type WriteRoute } from '../support/hostile-routes';
import { routeInventory } from '../support/route-inventory';

const MAX_BODY_BYTES = 65536;
const MAX_DEPTH = 64;

interface HostileRequest {
  body?: string | Buffer | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /** Replaces the path (hostile path ids). */
  path?: string;
}

interface HostileCase {
  name: string;
  /** `undefined`: the case does not apply to this route. */
  request(route: WriteRoute): HostileRequest | undefined;
  status: number | ((route: WriteRoute) => number);
  reason: string | ((route: WriteRoute) => string);
}

const json = (value: unknown) => JSON.stringify(value);
/** A route's valid body as an object, to add fields to (a bare-string body goes in a field). */
const asObject = (body: Record<string, unknown> | string): Record<string, unknown> => (typeof body === 'string' ? { field: body } : body);
const utf8 = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const nested = (depth: number, open: string, close: string, leaf = '1') => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
function chunked(...chunks: Buffer[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(new Uint8Array(c));
      controller.close();
    },
  });
}

/**
 * Built once: compressing 50 MiB takes a while, and blocking the event loop (which the server
 * under test shares) for seconds makes keep-alive sockets race their idle timeout.
 */
const GZIP_BOMB = gzipSync(Buffer.concat([Buffer.from('{"field": "'), Buffer.alloc(50 * 1024 * 1024, 0x61), Buffer.from('"}')]));

const CASES: HostileCase[] = [
  { name: 'truncated JSON', request: () => ({ body: '{"field": "a' }), status: 422, reason: 'invalid_json' },
  { name: 'JSON with a trailing comma', request: () => ({ body: '{"a": 1,}' }), status: 422, reason: 'invalid_json' },
  { name: 'binary garbage', request: () => ({ body: Buffer.from([0x00, 0x01, 0x02, 0x7b]) }), status: 422, reason: 'invalid_json' },
  {
    name: 'a multipart body labelled JSON',
    request: () => ({ body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--' }),
    status: 422,
    reason: 'invalid_json',
  },
  {
    name: 'invalid UTF-8 bytes in a string',
    request: (r) => {
      const [head, tail] = json(r.withString('@')).split('@');
      return { body: utf8(head, [0xff, 0xfe], tail) };
    },
    status: 422,
    reason: 'invalid_json',
  },
  {
    name: 'an overlong UTF-8 encoding ("/" as C0 AF)',
    request: () => ({ body: utf8('{"field": "', [0xc0, 0xaf], '"}') }),
    status: 422,
    reason: 'invalid_json',
  },
  { name: 'a UTF-8-encoded surrogate (CESU-8)', request: () => ({ body: utf8('{"field": "', [0xed, 0xa0, 0x80], '"}') }), status: 422, reason: 'invalid_json' },
  { name: 'a truncated multi-byte sequence', request: () => ({ body: utf8('{"field": "', [0xe2, 0x82], '"}') }), status: 422, reason: 'invalid_json' },
  {
    name: 'a lone high surrogate escape in a value',
    request: (r) => ({ body: json(r.withString('@')).replace('@', '\\ud800') }),
    status: 422,
    reason: 'validation_error',
  },
  { name: 'a lone low surrogate escape in a key', request: () => ({ body: '{"\\udc00": 1}' }), status: 422, reason: 'validation_error' },
  { name: 'U+0000 in a string', request: (r) => ({ body: json(r.withString('nul \u0000 inside')) }), status: 422, reason: (r) => r.nulReason },
  { name: 'a __proto__ key at the top', request: () => ({ body: '{"__proto__": {"polluted": "yes"}}' }), status: 422, reason: 'validation_error' },
  {
    name: 'a __proto__ key deep inside',
    request: (r) => ({ body: json({ ...asObject(r.withString('x')), deep: [{ ok: 1 }] }).replace('"ok"', '"__proto__"') }),
    status: 422,
    reason: 'validation_error',
  },
  { name: 'objects nested 1000 deep', request: () => ({ body: nested(1000, '{"a":', '}') }), status: 422, reason: 'validation_error' },
  {
    name: 'arrays nested 30000 deep (within the size limit)',
    request: () => ({ body: `{"field": ${nested(30000, '[', ']')}}` }),
    status: 422,
    reason: 'validation_error',
  },
  { name: 'a body over the size limit', request: (r) => ({ body: json(r.withString('x'.repeat(MAX_BODY_BYTES))) }), status: 413, reason: 'payload_too_large' },
  {
    name: 'a chunked body (no Content-Length) over the size limit',
    request: () => ({ body: chunked(Buffer.from('{"field": "'), Buffer.alloc(MAX_BODY_BYTES, 0x61), Buffer.from('"}')) }),
    status: 413,
    reason: 'payload_too_large',
  },
  {
    name: 'a gzip bomb (50 MiB inflated from 50 KiB)',
    request: () => ({ body: GZIP_BOMB, headers: { 'content-encoding': 'gzip' } }),
    status: 413,
    reason: 'payload_too_large',
  },
  {
    name: 'an unsupported content encoding',
    request: () => ({ body: 'xxxx', headers: { 'content-encoding': 'compress' } }),
    status: 415,
    reason: 'unsupported_media_type',
  },
  {
    name: 'a text/plain body',
    request: (r) => ({ body: json(r.withString('x')), headers: { 'content-type': 'text/plain' } }),
    status: 415,
    reason: 'unsupported_media_type',
  },
  {
    name: 'a form body',
    request: () => ({ body: 'field=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    status: 415,
    reason: 'unsupported_media_type',
  },
  {
    name: 'a non-UTF-8 charset',
    request: (r) => ({ body: json(r.withString('x')), headers: { 'content-type': 'application/json; charset=latin1' } }),
    status: 415,
    reason: 'unsupported_media_type',
  },
  {
    name: 'a UTF-16 charset',
    request: (r) => ({ body: Buffer.from(json(r.withString('x')), 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16le' } }),
    status: 415,
    reason: 'unsupported_media_type',
  },
  { name: 'a top-level array', request: (r) => (r.anyJson ? undefined : { body: '[{"field": "x"}]' }), status: 422, reason: 'validation_error' },
  { name: 'a top-level string', request: (r) => (r.anyJson || r.bareString ? undefined : { body: '"field"' }), status: 422, reason: 'validation_error' },
  { name: 'a top-level number', request: (r) => (r.anyJson ? undefined : { body: '1e400' }), status: 422, reason: 'validation_error' },
  {
    name: 'an unknown field on a strict schema',
    request: (r) => (r.strict ? { body: json({ ...asObject(r.withString('x')), unexpected: true }) } : undefined),
    status: 422,
    reason: 'validation_error',
  },
  {
    name: 'a constructor key on a strict schema',
    request: (r) => (r.strict ? { body: json({ ...asObject(r.withString('x')), constructor: { prototype: { polluted: 'yes' } } }) } : undefined),
    status: 422,
    reason: 'validation_error',
  },
  {
    name: 'a 12 KiB bearer token',
    request: () => ({ headers: { authorization: `Bearer ${'a'.repeat(12 * 1024)}.b.c` } }),
    status: 401,
    reason: 'invalid_token',
  },
  { name: 'two Authorization headers', request: () => ({ headers: { authorization: 'Bearer a.b.c, Bearer d.e.f' } }), status: 401, reason: 'invalid_token' },
  ...[
    ['too long', 'a'.repeat(250)],
    ['an encoded slash', `01939b7e-0000-7000-8000-000000000000%2F..%2Frtif`],
    ['an encoded dot-dot-slash', '%2e%2e%2f%2e%2e'],
    ['unicode', encodeURIComponent('ünïcødé-🙂')],
    ['SQL', encodeURIComponent("1' OR '1'='1'; drop table task_instance; --")],
    ['an encoded NUL', '01939b7e-0000-7000-8000-00000000000%00'],
    ['a UUID in braces', encodeURIComponent('{01939b7e-0000-7000-8000-000000000000}')],
    ['a UUID with spaces', '%2001939b7e-0000-7000-8000-000000000000%20'],
  ].map(([shape, id]): HostileCase => ({
    name: `a path id that is ${shape}`,
    request: (r) => (r.path('X').includes('X') ? { path: r.path(id) } : undefined),
    status: 422,
    reason: 'validation_error',
  })),
  {
    name: 'a path id with broken percent-encoding',
    request: (r) => (r.path('X').includes('X') ? { path: r.path('%E0%A4%A') } : undefined),
    status: 400,
    reason: 'bad_request',
  },
];

async function fingerprint(): Promise<Record<string, unknown>> {
  return withDirect(async (c) => {
    const r = await c.query(`
      select (select count(*) from dag_run)::int as dag_runs,
             (select count(*) from task_instance)::int as task_instances,
             (select count(*) from rendered_task_instance_fields)::int as rtif_rows,
             (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from task_instance t) as task_instance_hash,
             (select md5(coalesce(string_agg(r::text, '|' order by r.dag_id, r.task_id, r.run_id, r.map_index), '')) from rendered_task_instance_fields r) as rtif_hash,
             (select md5(coalesce(string_agg(x::text, '|' order by x.dag_id, x.task_id, x.run_id, x.key, x.map_index), '')) from xcom x) as xcom_hash,
             (select md5(coalesce(string_agg(m::text, '|' order by m.dag_id, m.task_id, m.run_id, m.map_index), '')) from task_map m) as task_map_hash,
             (select md5(coalesce(string_agg(a::text, '|' order by a.id), '')) from asset a) as asset_hash,
             (select md5(coalesce(string_agg(e::text, '|' order by e.id), '')) from asset_event e) as asset_event_hash`);
    return r.rows[0];
  });
}

describe('hostile input on every write route', () => {
  let t: TestApp;
  let tiId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { RTIF_MAX_BODY_BYTES: String(MAX_BODY_BYTES), RTIF_MAX_DEPTH: String(MAX_DEPTH) } });
    tiId = (await createTaskInstance(t.baseUrl, HOSTILE_FIXTURE)).id;
    // The fixture task instance already has rendered fields, so a half-written overwrite would show.
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${tiId}/rtif`, { original: true })).status).toBe(201);
  });
  afterAll(() => t.close());

  async function send(route: WriteRoute, request: HostileRequest): Promise<HttpResult> {
    const path = request.path ?? route.path(tiId);
    const token = route.token ? await route.token(tiId) : await defaultTokenFor(path);
    // Problem details on every route (execution routes answer Airflow's format unless asked), so
    // one assertion covers the table; the Airflow default is pinned in airflow-errors.e2e-spec.ts.
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...ACCEPT_PROBLEM,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...request.headers,
    };
    const body = request.body ?? json(route.withString('x'));
    const init: RequestInit & { duplex?: 'half' } = { method: route.method, headers, body };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(t.baseUrl + path, init);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  it('covers every route that takes a body, as the router has it (and no route that is gone)', () => {
    const bodyRoutes = routeInventory(t.app)
      .filter((r) => r.takesBody)
      .map((r) => r.key)
      .sort();
    expect(WRITE_ROUTES.map((r) => r.route).sort()).toEqual(bodyRoutes);
  });

  const table = WRITE_ROUTES.flatMap((route) => CASES.map((c) => [route.name, c.name, route, c] as const)).filter(
    ([, , route, c]) => c.request(route) !== undefined,
  );

  it.each(table)('%s: %s → 4xx problem, database unchanged, process alive', async (_route, _case, route, hostile) => {
    const before = await fingerprint();
    const res = await send(route, hostile.request(route)!);
    const status = typeof hostile.status === 'function' ? hostile.status(route) : hostile.status;
    const reason = typeof hostile.reason === 'function' ? hostile.reason(route) : hostile.reason;
    expect({ status: res.status, reason: res.body?.reason }).toEqual({ status, reason });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(
      expect.objectContaining({
        type: `urn:task-execution-api:problem:${reason}`,
        status,
        detail: expect.any(String),
        instance: expect.any(String),
        correlation_id: expect.any(String),
      }),
    );
    expect(res.text.length).toBeLessThan(2048);
    expect(await fingerprint()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const alive = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${tiId}`);
    expect(alive.status).toBe(200);
  });

  it('neither crashes nor stalls under a concurrent burst of every hostile case, then serves a valid write', async () => {
    const before = await fingerprint();
    const burst = table.map(([routeName, caseName, route, hostile]) =>
      send(route, hostile.request(route)!).then(
        (r) => ({ name: `${routeName}: ${caseName}`, status: r.status }),
        (e: { cause?: { code?: string } }) => ({ name: `${routeName}: ${caseName}`, status: e.cause?.code ?? 'failed' }),
      ),
    );
    const results = await Promise.all(burst);
    expect(results.filter((r) => typeof r.status !== 'number' || r.status < 400 || r.status >= 500)).toEqual([]);
    expect(await fingerprint()).toEqual(before);
    const ok = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${tiId}/rtif`, { original: true });
    expect(ok.status).toBe(201);
  });

  it('stores SQL metacharacters literally (MikroORM inlines parameters into the SQL text)', async () => {
    const nasty = `it's \\'; drop table task_instance; -- $1 ? ?? \\x27 E'\\n' $$ $tag$ 🙂`;
    const ti = await createTaskInstance(t.baseUrl, { dag_id: `${uniqueId('sql')} ${nasty}`, run_id: nasty, task_id: nasty });
    expect(ti).toMatchObject({ run_id: nasty, task_id: nasty });
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, { [nasty]: nasty })).status).toBe(201);
    const run = await problemHttp(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, {
      state: 'running',
      hostname: nasty,
      unixname: nasty,
      pid: 1,
      start_date: '2026-11-25T10:00:00Z',
    });
    expect(run.status).toBe(200);
    expect((await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/heartbeat`, { hostname: nasty, pid: 1 })).status).toBe(204);
    const row = await withDirect(async (c) => (await c.query('select run_id, task_id, hostname, unixname from task_instance where id = $1', [ti.id])).rows[0]);
    expect(row).toEqual({ run_id: nasty, task_id: nasty, hostname: nasty, unixname: nasty });
    const read = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
    expect(read.body.rendered_fields).toEqual({ [nasty]: nasty });
  });

  it('names the failing path for a lone surrogate and never echoes the value', async () => {
    const res = await send(WRITE_ROUTES[2], { body: '{"env": {"PASSWORD": "hunter2\\udfff"}}' });
    expect(res.body).toEqual({
      type: 'urn:task-execution-api:problem:validation_error',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request body contains text that is not valid Unicode.',
      instance: `/execution/task-instances/${tiId}/rtif`,
      reason: 'validation_error',
      correlation_id: expect.any(String),
      errors: [{ path: 'env.PASSWORD', message: 'must not contain lone surrogates (\\ud800-\\udfff)' }],
    });
    expect(res.text).not.toContain('hunter2');
  });

  it('refuses invalid UTF-8 with the whole problem body', async () => {
    const res = await send(WRITE_ROUTES[2], { body: utf8('{"field": "', [0xff], '"}') });
    expect(res.body).toEqual({
      type: 'urn:task-execution-api:problem:invalid_json',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The request body is not valid UTF-8.',
      instance: `/execution/task-instances/${tiId}/rtif`,
      reason: 'invalid_json',
      correlation_id: expect.any(String),
      errors: [{ path: '', message: 'invalid UTF-8' }],
    });
  });

  it('stores constructor and prototype keys in RTIF as plain keys, and pollutes nothing', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('proto'), run_id: 'r', task_id: 't' });
    const body = json({
      constructor: { prototype: { polluted: 'yes' } },
      prototype: { polluted: 'yes' },
      toString: 'x',
      hasOwnProperty: 1,
      toJSON: 'not a function',
      // Keys MikroORM gives meaning to inside query data: they must stay plain data.
      nested: { __entity: true, __reference: true, __helper: { x: 1 }, __meta: null, $in: [1], constructor: 'c' },
    });
    const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${ti.id}/rtif`, body);
    expect(res.status).toBe(201);
    const read = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${ti.id}/rendered-fields`);
    expect(read.body.rendered_fields).toEqual(JSON.parse(body));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it('answers a path id for another task instance with 403 before validating its shape', async () => {
    for (const id of ['nope', 'a'.repeat(8000), encodeURIComponent("' OR 1=1 --"), '%E0%A4%A']) {
      const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${id}/rtif`, { a: 1 }, bearer(await executionToken(tiId)));
      expect([id, res.status]).toEqual([id, id === '%E0%A4%A' ? 400 : 403]);
    }
  });

  it('answers 431 (from Node, before any route) for headers over 16 KiB, and keeps serving', async () => {
    const before = await fingerprint();
    const res = await fetch(`${t.baseUrl}/execution/task-instances/${tiId}/rtif`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await executionToken(tiId)}`, 'x-padding': 'p'.repeat(20 * 1024) },
      body: '{"a": 1}',
    });
    expect(res.status).toBe(431);
    expect(await fingerprint()).toEqual(before);
    expect((await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${tiId}`)).status).toBe(200);
  });

  it('does not echo a hostile correlation id', async () => {
    const res = await problemHttp(t.baseUrl, 'PUT', `/execution/task-instances/${tiId}/rtif`, '{', { 'correlation-id': '<script>alert(1)</script>' });
    expect(res.status).toBe(422);
    expect(res.headers.get('correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.correlation_id).toBe(res.headers.get('correlation-id'));
  });

  /** Sends raw bytes on a socket and returns what comes back before the server closes or `ms` pass. */
  function raw(payload: string, { keepOpenMs = 0 } = {}): Promise<string> {
    const { port } = new URL(t.baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      const timer = keepOpenMs > 0 ? setTimeout(() => socket.destroy(), keepOpenMs) : undefined;
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
      socket.write(payload);
      if (keepOpenMs === 0) socket.end();
    });
  }

  it.each([
    ['an invalid Content-Length', 'Content-Length: abc\r\n'],
    ['a header with a control character', 'X-Bad: a\x01b\r\nContent-Length: 2\r\n'],
    ['both Content-Length and Transfer-Encoding', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n'],
  ])('answers 400 (from Node) for %s, stores nothing, and keeps serving', async (_name, headers) => {
    const before = await fingerprint();
    const token = await executionToken(tiId);
    const reply = await raw(
      `PUT /execution/task-instances/${tiId}/rtif HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${headers}\r\n{}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(await fingerprint()).toEqual(before);
    expect((await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${tiId}`)).status).toBe(200);
  });

  it('keeps serving while a client stalls mid-body, and stores nothing from it', async () => {
    const before = await fingerprint();
    const token = await executionToken(tiId);
    // Declares 1000 bytes, sends 10, then hangs until the socket is destroyed.
    const stalled = raw(
      `PUT /execution/task-instances/${tiId}/rtif HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a": "123`,
      { keepOpenMs: 1500 },
    );
    const others = await Promise.all(Array.from({ length: 10 }, () => problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${tiId}`)));
    expect(others.map((r) => r.status)).toEqual(Array(10).fill(200));
    await stalled;
    expect(await fingerprint()).toEqual(before);
  });
});
