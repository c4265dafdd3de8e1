import { http, startTestApp, type TestApp } from '../support/test-app';

const BASE = '/execution/task-instances/{task_instance_id}';

describe('OpenAPI document: lifecycle routes', () => {
  let t: TestApp;
  let doc: any;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await http(t.baseUrl, 'GET', '/openapi.json')).body;
  });
  afterAll(() => t.close());

  const example = (op: any, status: string, reason: string) => op.responses[status].content['application/problem+json'].examples[reason].value;

  it.each([
    ['patch', 'run', 'ti_run', ['200', '404', '409', '410', '422', '503']],
    ['patch', 'state', 'ti_update_state', ['200', '204', '404', '409', '410', '422', '503']],
    ['put', 'heartbeat', 'ti_heartbeat', ['204', '404', '409', '410', '422', '503']],
    ['patch', 'skip-downstream', 'ti_skip_downstream', ['204', '404', '410', '422', '503']],
    ['get', 'previous-successful-dagrun', 'get_previous_successful_dagrun', ['200', '404', '410', '422', '503']],
    ['put', 'rtif', 'put_rtif', ['201', '404', '410', '413', '415', '422', '503']],
  ])('%s %s (%s) documents exactly its statuses (auth aside), with a 404 and a 410 example', (method, route, operationId, statuses) => {
    const op = doc.paths[`${BASE}/${route}`][method];
    expect(op.operationId).toBe(operationId);
    // 401/403 belong to the authentication layer, which documents them itself.
    expect(
      Object.keys(op.responses)
        .filter((s) => s !== '401' && s !== '403')
        .sort(),
    ).toEqual(statuses);
    expect(op.parameters).toEqual([
      expect.objectContaining({ name: 'task_instance_id', in: 'path', required: true }),
      expect.objectContaining({ name: 'Airflow-API-Version', in: 'header', required: false }),
    ]);
    expect(example(op, '404', 'not_found')).toMatchObject({ status: 404, reason: 'not_found' });
    expect(example(op, '410', 'not_found')).toMatchObject({
      status: 410,
      reason: 'not_found',
      detail: 'Task Instance not found, it may have been moved to the Task Instance History table',
    });
  });

  it('documents every typed 409 with its reason, Airflow message and fields', () => {
    const run = doc.paths[`${BASE}/run`].patch;
    const state = doc.paths[`${BASE}/state`].patch;
    const heartbeat = doc.paths[`${BASE}/heartbeat`].put;
    expect(example(run, '409', 'invalid_state')).toMatchObject({
      detail: 'TI was not in a state where it could be marked as running',
      previous_state: 'running',
    });
    expect(example(state, '409', 'invalid_state')).toMatchObject({
      detail: 'TI was not in the running state so it cannot be updated',
      previous_state: expect.any(String),
    });
    expect(example(heartbeat, '409', 'running_elsewhere')).toMatchObject({
      detail: 'TI is already running elsewhere',
      current_hostname: expect.any(String),
      current_pid: expect.any(Number),
    });
    expect(example(heartbeat, '409', 'not_running')).toMatchObject({
      detail: 'TI is no longer in the running state and task should terminate',
      current_state: expect.any(String),
    });
    const problemProps = doc.components.schemas.TaskInstanceProblemDto.properties;
    for (const field of ['previous_state', 'current_state', 'current_hostname', 'current_pid', 'task_instance_id']) expect(problemProps[field]).toBeDefined();
  });

  it('documents the state body as a oneOf with a discriminator on state, one payload per target state', () => {
    const body = doc.paths[`${BASE}/state`].patch.requestBody.content['application/json'];
    const ref = (name: string) => `#/components/schemas/${name}`;
    expect(body.schema.oneOf).toEqual(
      [
        'TISuccessStatePayload',
        'TITerminalStatePayload',
        'TIRetryStatePayload',
        'TIRescheduleStatePayload',
        'TIDeferredStatePayload',
        'TIAwaitingInputStatePayload',
      ].map((n) => ({
        $ref: ref(n),
      })),
    );
    expect(body.schema.discriminator).toEqual({
      propertyName: 'state',
      mapping: {
        success: ref('TISuccessStatePayload'),
        failed: ref('TITerminalStatePayload'),
        skipped: ref('TITerminalStatePayload'),
        removed: ref('TITerminalStatePayload'),
        upstream_failed: ref('TITerminalStatePayload'),
        up_for_retry: ref('TIRetryStatePayload'),
        up_for_reschedule: ref('TIRescheduleStatePayload'),
        deferred: ref('TIDeferredStatePayload'),
        awaiting_input: ref('TIAwaitingInputStatePayload'),
      },
    });
    expect(Object.keys(body.examples).sort()).toEqual(['awaiting_input', 'deferred', 'failed', 'success', 'up_for_reschedule', 'up_for_retry']);
    const schemas = doc.components.schemas;
    expect(schemas.TIDeferredStatePayload.required.sort()).toEqual(['classpath', 'next_method', 'state']);
    expect(schemas.TIAwaitingInputStatePayload.required.sort()).toEqual(['next_method', 'state']);
    // What Task SDK 1.3 sends as null when unset is documented as nullable.
    expect(schemas.TIRetryStatePayload.properties.retry_delay_seconds).toMatchObject({ type: 'number', nullable: true, minimum: 0 });
    expect(schemas.TIRetryStatePayload.properties.retry_reason).toMatchObject({ type: 'string', nullable: true });
    expect(schemas.TIDeferredStatePayload.properties.queue).toMatchObject({ type: 'string', nullable: true, maxLength: 256 });
    expect(schemas.TIAwaitingInputStatePayload.properties.timeout).toMatchObject({ type: 'string', nullable: true });
    expect(schemas.TIRescheduleStatePayload.required.sort()).toEqual(['end_date', 'reschedule_date', 'state']);
    expect(schemas.TITerminalStatePayload.properties.state).toEqual({ allOf: [{ $ref: ref('TerminalStateNonSuccess') }] });
    expect(schemas.TerminalStateNonSuccess.enum).toEqual(['failed', 'skipped', 'removed', 'upstream_failed']);
    expect(doc.paths[`${BASE}/state`].patch.responses['200'].description).toContain('already in the requested state');
  });

  it('names the request and response schemas as Airflow does', () => {
    const schemas = doc.components.schemas;
    for (const name of [
      'TIEnterRunningPayload',
      'TIRunContext',
      'DagRun',
      'TIHeartbeatInfo',
      'TISkippedDownstreamTasksStatePayload',
      'PrevSuccessfulDagRunResponse',
    ]) {
      expect(schemas[name]).toBeDefined();
    }
    expect(Object.keys(schemas.TIRunContext.properties).sort()).toEqual(
      [
        'connections',
        'dag_run',
        'first_task_reschedule_start_date',
        'max_tries',
        'next_kwargs',
        'next_method',
        'should_retry',
        'start_date',
        'task_reschedule_count',
        'variables',
        'xcom_keys_to_clear',
      ].sort(),
    );
    expect(doc.paths[`${BASE}/run`].patch.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TIRunContext' });
  });
});
