import { randomUUID } from 'node:crypto';
import { executionToken } from './tokens';

/**
 * Every route that takes a body, with a body it accepts and a way to put a string into one of its
 * string fields. The route inventory (`routeInventory`, generated from the router) must match this
 * table: a route added without an entry here fails `test/e2e/route-inventory.e2e-spec.ts` and the
 * hostile-input test itself.
 */
export interface WriteRoute {
  name: string;
  /** The route as the inventory names it: `METHOD /template`. */
  route: string;
  method: string;
  path(taskInstanceId: string): string;
  /** A valid body whose string field holds `value` (the body itself, for a route whose body is a bare string). */
  withString(value: string): Record<string, unknown> | string;
  /** Whether unknown top-level fields are refused (a DTO) or stored (RTIF's free-form object). */
  strict: boolean;
  /** The reason for a string PostgreSQL refuses (U+0000): the DTO's pattern, or the database's. */
  nulReason: 'validation_error' | 'value_rejected';
  /** Any JSON value is a valid body (XCom): top-level arrays, strings and numbers are not hostile. */
  anyJson?: boolean;
  /** The body is a bare JSON string (`rendered-map-index`): a top-level string is not hostile. */
  bareString?: boolean;
  /** The token to send, for routes that name their task instance by key (`defaultTokenFor` derives none). */
  token?(taskInstanceId: string): Promise<string>;
}

/** The task instance the hostile-input test writes to, by key (its id is known once it is created). */
export const HOSTILE_FIXTURE = { dag_id: `hostile_${randomUUID().slice(0, 8)}`, run_id: 'r', task_id: 't' };

export const WRITE_ROUTES: WriteRoute[] = [
  {
    name: 'POST /api/v1/task-instances',
    route: 'POST /api/v1/task-instances',
    method: 'POST',
    path: () => '/api/v1/task-instances',
    withString: (value) => ({ dag_id: value, run_id: 'hostile_run', task_id: 't' }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'POST /api/v1/task-instances/{id}/token',
    route: 'POST /api/v1/task-instances/:task_instance_id/token',
    method: 'POST',
    path: (id) => `/api/v1/task-instances/${id}/token`,
    withString: (value) => ({ scope: value }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PUT /execution/task-instances/{id}/rtif',
    route: 'PUT /execution/task-instances/:task_instance_id/rtif',
    method: 'PUT',
    path: (id) => `/execution/task-instances/${id}/rtif`,
    withString: (value) => ({ field: value }),
    strict: false,
    nulReason: 'value_rejected',
  },
  {
    name: 'PATCH /execution/task-instances/{id}/run',
    route: 'PATCH /execution/task-instances/:task_instance_id/run',
    method: 'PATCH',
    path: (id) => `/execution/task-instances/${id}/run`,
    withString: (value) => ({ state: 'running', hostname: value, unixname: 'airflow', pid: 4242, start_date: '2026-11-25T10:00:00Z' }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PATCH /execution/task-instances/{id}/state',
    route: 'PATCH /execution/task-instances/:task_instance_id/state',
    method: 'PATCH',
    path: (id) => `/execution/task-instances/${id}/state`,
    withString: (value) => ({ state: value, end_date: '2026-11-25T10:05:00Z' }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PUT /execution/task-instances/{id}/heartbeat',
    route: 'PUT /execution/task-instances/:task_instance_id/heartbeat',
    method: 'PUT',
    path: (id) => `/execution/task-instances/${id}/heartbeat`,
    withString: (value) => ({ hostname: value, pid: 4242 }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PATCH /execution/task-instances/{id}/skip-downstream',
    route: 'PATCH /execution/task-instances/:task_instance_id/skip-downstream',
    method: 'PATCH',
    path: (id) => `/execution/task-instances/${id}/skip-downstream`,
    withString: (value) => ({ tasks: [value] }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'POST /execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}',
    route: 'POST /execution/xcoms/:dag_id/:run_id/:task_id/*key',
    method: 'POST',
    // Named by key, not by id: the path-id cases do not apply.
    path: () => `/execution/xcoms/${HOSTILE_FIXTURE.dag_id}/${HOSTILE_FIXTURE.run_id}/${HOSTILE_FIXTURE.task_id}/hostile/key`,
    withString: (value) => ({ field: value }),
    strict: false,
    nulReason: 'validation_error',
    anyJson: true,
    token: (id) => executionToken(id),
  },
  {
    name: 'PATCH /execution/task-instances/{id}/rendered-map-index',
    route: 'PATCH /execution/task-instances/:task_instance_id/rendered-map-index',
    method: 'PATCH',
    path: (id) => `/execution/task-instances/${id}/rendered-map-index`,
    withString: (value) => value,
    strict: false,
    nulReason: 'validation_error',
    bareString: true,
  },
  {
    name: 'PUT /api/v1/assets',
    route: 'PUT /api/v1/assets',
    method: 'PUT',
    path: () => '/api/v1/assets',
    withString: (value) => ({ name: value, uri: 'hostile://asset' }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'POST /api/v1/asset-events',
    route: 'POST /api/v1/asset-events',
    method: 'POST',
    path: () => '/api/v1/asset-events',
    withString: (value) => ({ name: 'hostile', uri: 'hostile://asset', partition_key: value }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'POST /execution/hitlDetails/{ti_id}',
    route: 'POST /execution/hitlDetails/:task_instance_id',
    method: 'POST',
    path: (id) => `/execution/hitlDetails/${id}`,
    withString: (value) => ({ ti_id: randomUUID(), options: ['Approve'], subject: value }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PATCH /execution/hitlDetails/{ti_id}',
    route: 'PATCH /execution/hitlDetails/:task_instance_id',
    method: 'PATCH',
    path: (id) => `/execution/hitlDetails/${id}`,
    withString: (value) => ({ ti_id: randomUUID(), chosen_options: [value] }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PATCH /api/v1/task-instances/{id}/hitl-detail',
    route: 'PATCH /api/v1/task-instances/:task_instance_id/hitl-detail',
    method: 'PATCH',
    path: (id) => `/api/v1/task-instances/${id}/hitl-detail`,
    withString: (value) => ({ chosen_options: [value] }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PUT /execution/variables/{key}',
    route: 'PUT /execution/variables/*key',
    method: 'PUT',
    path: () => '/execution/variables/hostile/variable',
    withString: (value) => ({ val: value }),
    strict: true,
    nulReason: 'validation_error',
    // Names no task instance: any execution token passes (the id is the hostile fixture's).
    token: (id) => executionToken(id),
  },
  {
    name: 'PUT /api/v1/variables/{key}',
    route: 'PUT /api/v1/variables/*key',
    method: 'PUT',
    path: () => '/api/v1/variables/hostile/variable',
    withString: (value) => ({ value }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'PUT /api/v1/connections/{conn_id}',
    route: 'PUT /api/v1/connections/*conn_id',
    method: 'PUT',
    path: () => '/api/v1/connections/hostile/connection',
    withString: (value) => ({ conn_type: 'postgres', host: value }),
    strict: true,
    nulReason: 'validation_error',
  },
  {
    name: 'POST /execution/dag-runs/{dag_id}/{run_id}',
    route: 'POST /execution/dag-runs/:dag_id/:run_id',
    method: 'POST',
    // Named by key, not by id: the path-id cases do not apply.
    path: () => `/execution/dag-runs/${HOSTILE_FIXTURE.dag_id}/hostile_trigger`,
    withString: (value) => ({ conf: {}, note: value }),
    strict: true,
    nulReason: 'validation_error',
    token: (id) => executionToken(id),
  },
  {
    name: 'POST /execution/dag-runs/{dag_id}/{run_id}/clear',
    route: 'POST /execution/dag-runs/:dag_id/:run_id/clear',
    method: 'POST',
    path: () => `/execution/dag-runs/${HOSTILE_FIXTURE.dag_id}/${HOSTILE_FIXTURE.run_id}/clear`,
    // Its only field is a boolean: a string there is refused like any other wrong value.
    withString: (value) => ({ only_failed: value }),
    strict: true,
    nulReason: 'validation_error',
    token: (id) => executionToken(id),
  },
  {
    name: 'PUT /api/v1/dags/{dag_id}',
    route: 'PUT /api/v1/dags/:dag_id',
    method: 'PUT',
    path: () => `/api/v1/dags/${HOSTILE_FIXTURE.dag_id}`,
    withString: (value) => ({ owners: value }),
    strict: true,
    nulReason: 'validation_error',
  },
];
