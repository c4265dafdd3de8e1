import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { problemTitle } from '../../src/common/problem/problem';
import { http, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { adminToken, bearer } from '../support/tokens';

type Operation = OpenAPIV3.OperationObject & { method: string; path: string };

/**
 * The order a newcomer tries the routes in Swagger UI (README "Security"): create, get a token,
 * then the worker's calls, then the reads. Every operation of the document must be listed, so a
 * new route cannot ship without a working example.
 */
const WALK_THROUGH = [
  'create_task_instance',
  'register_asset',
  'issue_task_instance_token',
  'ti_run',
  'validate_inlets_and_outlets',
  'create_asset_event',
  'list_asset_events',
  'get_asset_by_name',
  'get_asset_by_uri',
  'get_assets_by_alias',
  'get_asset_event_by_asset_name_uri',
  'get_asset_event_by_asset_alias',
  'ti_heartbeat',
  'put_rtif',
  // HITL: ask, read (no answer yet), the task answers, ask again (wipes the answer, as after a
  // retry), then a person reads and answers on the control plane.
  'upsert_hitl_detail',
  'get_hitl_detail',
  'update_hitl_detail',
  'upsert_hitl_detail',
  'get_hitl_detail_for_answer',
  'answer_hitl_detail',
  'ti_patch_rendered_map_index',
  'get_reschedule_start_date',
  'get_task_instance_count',
  'get_task_instance_states',
  'get_previous_task_instance',
  'set_xcom',
  'get_xcom',
  'get_mapped_xcom_by_index',
  'get_mapped_xcom_by_slice',
  'delete_xcom',
  'get_previous_successful_dagrun',
  'ti_skip_downstream',
  'ti_update_state',
  'get_task_instance_breadcrumbs',
  'get_task_instance',
  'get_rendered_fields',
  'list_task_instances',
  'get_task_instance_tries',
  'get_rendered_fields_by_key',
  'put_admin_variable',
  'get_admin_variable',
  'list_variable_keys',
  'put_admin_connection',
  'get_admin_connection',
  'put_variable',
  'get_variable',
  'get_variable_keys',
  'delete_variable',
  'get_connection',
  'delete_admin_variable',
  'delete_admin_connection',
  // Dag runs last: clearing the run puts the walk-through's task instance back to no state.
  'put_dag',
  'get_registered_dag',
  'get_dag',
  'trigger_dag_run',
  'get_dag_run',
  'get_dagrun_state',
  'get_dr_count',
  'get_previous_dagrun',
  'get_previous_dagrun_compat',
  'get_dag_run_admin',
  'clear_dag_run',
];

/**
 * What a person types instead of copying it from step 1: a new run id to trigger (the created
 * task instance's run exists, so triggering it is the documented 409), and the version header of
 * the route that exists for versions before 2026-04-06 only.
 */
const FRESH_PATH: Record<string, Record<string, () => string>> = { trigger_dag_run: { run_id: () => uniqueId('triggered') } };
const HEADERS: Record<string, Record<string, string>> = { get_previous_dagrun_compat: { 'Airflow-API-Version': '2025-11-05' } };

/** Query parameters a person fills in from the task instance the walk-through created (like its id). */
const FROM_CREATED = ['dag_id', 'run_id', 'task_id'];

/**
 * What Swagger UI pre-fills in "Try it out": the media type's first named example, else its
 * `example`, else the schema's `example`. Operations whose body has none of them would be
 * pre-filled from property samples, which this service never relies on.
 */
function documentedBody(op: Operation): unknown {
  const body = op.requestBody as OpenAPIV3.RequestBodyObject | undefined;
  if (!body) return undefined;
  const media = body.content['application/json'];
  expect(media).toBeDefined();
  const named = Object.values(media.examples ?? {}) as OpenAPIV3.ExampleObject[];
  if (named.length > 0) return named[0].value;
  if (media.example !== undefined) return media.example;
  const example = (media.schema as OpenAPIV3.SchemaObject).example;
  if (example === undefined) throw new Error(`${op.operationId}: the request body documents no example, so Swagger UI would invent one`);
  return example;
}

/** Every `format: date-time` is a string (an `object` type makes Swagger UI pre-fill `{}`). */
function dateTimesThatAreNotStrings(node: unknown, path = '#'): string[] {
  if (node === null || typeof node !== 'object') return [];
  const own = (node as Record<string, unknown>).format === 'date-time' && (node as Record<string, unknown>).type !== 'string' ? [path] : [];
  return [...own, ...Object.entries(node).flatMap(([key, value]) => dateTimesThatAreNotStrings(value, `${path}/${key}`))];
}

describe('OpenAPI examples: every documented request works as pre-filled, in walk-through order', () => {
  let t: TestApp;
  let document: OpenAPIV3.Document;
  let operations: Map<string, Operation>;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await http(t.baseUrl, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    // Dereferenced: examples and schemas are read where Swagger UI reads them.
    document = (await SwaggerParser.dereference(res.body)) as OpenAPIV3.Document;
    operations = new Map();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        const op = item?.[method];
        if (op) operations.set(op.operationId!, { ...op, method: method.toUpperCase(), path });
      }
    }
  });
  afterAll(() => t?.close());

  it('GET / points a newcomer to the docs, without a token, and every link it gives works', async () => {
    const res = await http(t.baseUrl, 'GET', '/', undefined, { authorization: undefined });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ service: 'task-execution-api', docs: '/docs', openapi: '/openapi.json', health: '/health/ready' });
    for (const link of [res.body.docs, res.body.openapi, res.body.health]) {
      expect({ link, status: (await fetch(t.baseUrl + link)).status }).toEqual({ link, status: 200 });
    }
  });

  it('lists every operation of the document in the walk-through', () => {
    expect([...operations.keys()].sort()).toEqual([...new Set(WALK_THROUGH)].sort());
  });

  it('declares every date-time as a string', () => {
    expect(dateTimesThatAreNotStrings(document)).toEqual([]);
  });

  it('gives every problem example the title the service sends for its status', () => {
    const titles: { operation: string; status: string; title: unknown }[] = [];
    for (const op of operations.values()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const examples = (response as OpenAPIV3.ResponseObject).content?.['application/problem+json']?.examples ?? {};
        for (const example of Object.values(examples) as OpenAPIV3.ExampleObject[]) {
          titles.push({ operation: op.operationId!, status, title: (example.value as { title: unknown }).title });
        }
      }
    }
    expect(titles.length).toBeGreaterThan(20);
    expect(titles.filter((e) => e.title !== problemTitle(Number(e.status)) || e.title === 'Error')).toEqual([]);
  });

  it('sends each operation its documented example, twice over, and gets the documented success', async () => {
    // Twice: a second newcomer on the same database (or the same one trying again) must not meet a 409.
    for (let round = 0; round < 2; round++) {
      // Swagger UI's Authorize: the admin token for /api/…, the token the walk-through issues for
      // /execution/… (one Authorize per phase, as the order above lets a person do it).
      const admin = bearer(await adminToken());
      let execution: { authorization: string } | undefined;
      let taskInstanceId = '';
      let created: Record<string, unknown> = {};
      const seen: { operation: string; status: number; documented: number[] }[] = [];
      for (const operationId of WALK_THROUGH) {
        const op = operations.get(operationId)!;
        // Query parameters as Swagger UI sends them: each documented example, except the key of
        // the task instance, which a person copies from step 1 as they copy its id.
        const query = new URLSearchParams();
        for (const p of (op.parameters ?? []) as OpenAPIV3.ParameterObject[]) {
          if (p.in !== 'query') continue;
          const named = Object.values(p.examples ?? {}) as OpenAPIV3.ExampleObject[];
          const value = FROM_CREATED.includes(p.name)
            ? created[p.name]
            : (p.example ?? named[0]?.value ?? (p.schema as OpenAPIV3.SchemaObject | undefined)?.example);
          if (value !== undefined) query.set(p.name, String(value));
        }
        // Path parameters likewise: the task instance's id or key copied from step 1, any other
        // (an XCom key, an offset) its documented example.
        const filled = op.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
          if (name === 'task_instance_id') return taskInstanceId;
          const fresh = FRESH_PATH[operationId]?.[name];
          if (fresh) return encodeURIComponent(fresh());
          if (FROM_CREATED.includes(name)) return encodeURIComponent(String(created[name]));
          const param = ((op.parameters ?? []) as OpenAPIV3.ParameterObject[]).find((p) => p.in === 'path' && p.name === name);
          const example = param?.example ?? (param?.schema as OpenAPIV3.SchemaObject | undefined)?.example;
          if (example === undefined) throw new Error(`${op.operationId}: path parameter ${name} documents no example`);
          return encodeURIComponent(String(example));
        });
        const path = filled + (query.size > 0 ? `?${query}` : '');
        // http() sends a string body as already serialised; a bare-string body is JSON text too.
        const body = documentedBody(op);
        const sent = typeof body === 'string' ? JSON.stringify(body) : body;
        const res = await http(
          t.baseUrl,
          op.method,
          path,
          sent,
          path.startsWith('/api/') ? admin : { authorization: execution?.authorization, ...HEADERS[operationId] },
        );
        const documented = Object.keys(op.responses)
          .map(Number)
          .filter((s) => s >= 200 && s < 300);
        seen.push({ operation: operationId, status: res.status, documented });
        if (res.status >= 300) throw new Error(`${operationId} answered ${res.status}: ${res.text}`);

        const success = op.responses[String(res.status)] as OpenAPIV3.ResponseObject;
        const schema = success.content?.['application/json']?.schema as OpenAPIV3.SchemaObject | undefined;
        if (schema) {
          // Every property the document calls required is in the answer.
          // (A bare JSON value, null included, has no properties to require.)
          expect(Object.keys(res.body ?? {})).toEqual(expect.arrayContaining(schema.required ?? []));
        } else {
          expect(res.text).toBe('');
        }
        if (operationId === 'create_task_instance') {
          expect(res.body).toMatchObject({ dag_id: 'example_dag', task_id: 'extract', state: 'queued' });
          taskInstanceId = res.body.id;
          created = res.body;
        }
        if (operationId === 'issue_task_instance_token') {
          expect(res.body.scope).toBe('execution');
          execution = bearer(res.body.access_token);
        }
        if (operationId === 'get_task_instance') expect(res.body.state).toBe('success');
        if (operationId === 'get_task_instance_count') expect(res.body).toBeGreaterThanOrEqual(1);
        if (operationId === 'get_task_instance_breadcrumbs') {
          expect(res.body.breadcrumbs).toEqual([{ task_id: 'extract', map_index: -1, state: 'success', operator: null, duration: expect.any(Number) }]);
        }
        if (operationId === 'get_rendered_fields') expect(res.body.rendered_fields.env.API_TOKEN).toBe('***');
      }
      // The documented success, and the first one where a route documents two (PATCH …/state: 204 for a change).
      expect(seen.map((s) => ({ operation: s.operation, status: s.status }))).toEqual(
        seen.map((s) => ({ operation: s.operation, status: s.operation === 'ti_update_state' ? 204 : s.documented[0] })),
      );
    }
  });
});
