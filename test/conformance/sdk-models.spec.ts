import { pydanticDatetime, pydanticDuration } from './models/pydantic';
import { fromResponse, heartbeatOutcome, pythonQuery, ServerResponseError, supervisorOutcome, type SdkResponse } from './sdk-client';
import { EARLIER_HEADERS, SDK_VERSIONS, validate } from './sdk-versions';

const byLine = Object.fromEntries(SDK_VERSIONS.map((v) => [v.sdk, v]));

const response = (status: number, contentType: string | undefined, text: string): SdkResponse => {
  const headers = new Headers();
  if (contentType !== undefined) headers.set('content-type', contentType);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
};

describe('ServerResponseError.from_response, ported', () => {
  it.each([
    ['a 2xx', 200, 'application/json', '{"detail":{"reason":"x"}}'],
    ['a 3xx', 304, 'application/json', '{"detail":{"reason":"x"}}'],
    ['application/json with a charset', 409, 'application/json; charset=utf-8', '{"detail":{"reason":"invalid_state"}}'],
    ['problem+json', 409, 'application/problem+json', '{"detail":"x","reason":"invalid_state"}'],
    ['no content type', 500, undefined, '{"detail":"x"}'],
    ['a body that is not JSON', 502, 'application/json', '<html>Bad Gateway</html>'],
  ])('%s: not a ServerResponseError (the caller gets a plain HTTPStatusError)', (_name, status, type, text) => {
    expect(fromResponse(response(status, type, text))).toBeNull();
  });

  it('a dict detail: "Server returned error" with the dict', () => {
    const error = fromResponse(response(409, 'application/json', '{"detail":{"reason":"invalid_state","previous_state":"running"}}'));
    expect(error).toBeInstanceOf(ServerResponseError);
    expect([error!.message, error!.detail]).toEqual(['Server returned error', { reason: 'invalid_state', previous_state: 'running' }]);
  });

  it('a FastAPI validation list: "Remote server returned validation error" with the list', () => {
    const detail = [{ loc: ['body', 'pid'], msg: 'Input should be a valid integer', type: 'int_parsing' }];
    const error = fromResponse(response(422, 'application/json', JSON.stringify({ detail })));
    expect([error!.message, error!.detail]).toEqual(['Remote server returned validation error', detail]);
  });

  it('a string detail becomes the message and the detail stays None', () => {
    const error = fromResponse(response(404, 'application/json', '{"detail":"Not Found"}'));
    expect([error!.message, error!.detail]).toEqual(['Not Found', null]);
    expect(fromResponse(response(404, 'application/json', '{"detail":""}'))!.message).toBe('Un-parseable error');
  });

  it('JSON without a detail member (or a list that is not a validation list): the whole body is the detail', () => {
    expect(fromResponse(response(500, 'application/json', '{"message":"Internal server error"}'))!.detail).toEqual({ message: 'Internal server error' });
    expect(fromResponse(response(422, 'application/json', '{"detail":[{"path":"pid"}]}'))!.detail).toEqual({ detail: [{ path: 'pid' }] });
  });

  it('heartbeat: 404 and 409 read as ServerResponseError terminate the task; anything else counts a failure', () => {
    const as = (status: number, type: string) => fromResponse(response(status, type, '{"detail":{"reason":"not_running"}}')) ?? new Error('plain');
    expect(heartbeatOutcome(as(409, 'application/json'))).toBe('terminate');
    expect(heartbeatOutcome(as(404, 'application/json'))).toBe('terminate');
    expect(heartbeatOutcome(as(410, 'application/json'))).toBe('count_failure');
    expect(heartbeatOutcome(as(409, 'application/problem+json; charset=utf-8'))).toBe('count_failure');
  });

  it('supervisor: only a ServerResponseError reaches the task as API_SERVER_ERROR', () => {
    const error = fromResponse(response(403, 'application/json', '{"detail":{"reason":"access_denied"}}'));
    expect(supervisorOutcome(error)).toEqual({
      error: 'API_SERVER_ERROR',
      detail: { status_code: 403, message: 'Server returned error', detail: { reason: 'access_denied' } },
    });
    expect(supervisorOutcome(new Error('HTTP 403'))).toBe('escapes');
  });
});

describe('what the SDK puts on the wire', () => {
  it('pydantic JSON datetimes and durations', () => {
    expect(pydanticDatetime(new Date('2026-11-25T10:00:00.000Z'))).toBe('2026-11-25T10:00:00Z');
    expect(pydanticDatetime(new Date('2026-11-25T10:00:00.123Z'))).toBe('2026-11-25T10:00:00.123000Z');
    expect([3600, 86405, 0.5, 0, 86400].map(pydanticDuration)).toEqual(['PT3600S', 'P1DT5S', 'PT0.5S', 'PT0S', 'P1D']);
  });

  it('httpx query encoding: booleans lower-case, lists repeated', () => {
    expect(pythonQuery({ map_index: 0, include_prior_dates: true, task_ids: ['a', 'b'] })).toBe('?map_index=0&include_prior_dates=true&task_ids=a&task_ids=b');
    expect(pythonQuery({})).toBe('');
  });

  it('retry: 1.3 sends retry_delay_seconds and retry_reason as null, older versions do not send them', () => {
    const input = { end_date: '2026-11-25T10:05:00Z', rendered_map_index: null };
    expect(byLine['1.3'].requests.retry(input)).toEqual({ state: 'up_for_retry', ...input, retry_delay_seconds: null, retry_reason: null });
    expect(byLine['1.2'].requests.retry(input)).toEqual({ state: 'up_for_retry', ...input });
  });

  it('defer: queue is sent (as null) from 1.2 on; awaiting_input only from 1.3', () => {
    const input = { classpath: 'c', trigger_kwargs: {}, trigger_timeout: null, next_method: 'm', next_kwargs: null, rendered_map_index: null };
    expect(Object.keys(byLine['1.2'].requests.deferred(input))).toContain('queue');
    expect(Object.keys(byLine['1.1'].requests.deferred(input))).not.toContain('queue');
    expect(byLine['1.2'].requests.awaitingInput({ timeout: null, next_method: 'm', next_kwargs: null, rendered_map_index: null })).toBeUndefined();
  });
});

describe('the generated models, per version', () => {
  const dagRun = {
    dag_id: 'd',
    run_id: 'r',
    logical_date: '2026-11-24T00:00:00Z',
    data_interval_start: null,
    data_interval_end: null,
    run_after: '2026-11-25T00:00:00Z',
    start_date: '2026-11-25T00:00:01Z',
    end_date: null,
    clear_number: 0,
    run_type: 'scheduled',
    conf: {},
    consumed_asset_events: [],
  };
  const withFields = (extra: Record<string, unknown>) => ({ dag_run: { ...dagRun, ...extra }, max_tries: 0, some_future_field: 1 });

  it.each([
    ['1.0', {}, true],
    ['1.0', { state: 'running' }, false],
    ['1.1', { state: 'running', triggering_user_name: null }, true],
    ['1.1', { state: 'running', partition_key: null }, false],
    ['1.1', { state: 'running', start_date: null }, false],
    ['1.2', { state: 'running', partition_key: null, note: null, start_date: null }, true],
    ['1.2', { state: 'running', team_name: null }, false],
    ['1.3', { state: 'running', partition_key: null, note: null, team_name: null }, true],
    ['1.3', { state: 'running', unknown_to_all: 1 }, false],
    ['1.3', { state: 'running', run_type: 'operator_triggered' }, true],
    ['1.2', { state: 'running', run_type: 'operator_triggered' }, false],
  ] as const)('SDK %s TIRunContext with dag_run %j: parses = %s (DagRun forbids extras, TIRunContext ignores them)', (line, extra, ok) => {
    expect(validate(byLine[line].responses.TIRunContext, withFields(extra)).ok).toBe(ok);
  });

  it('SDK 1.1.0 (2025-09-23): DagRun has state but not triggering_user_name, and conf is never null', () => {
    const early = EARLIER_HEADERS.find((v) => v.apiVersion === '2025-09-23')!.responses.TIRunContext;
    expect(validate(early, withFields({ state: 'running' })).ok).toBe(true);
    expect(validate(early, withFields({ state: 'running', triggering_user_name: null })).ok).toBe(false);
    expect(validate(early, withFields({ state: 'running', conf: null })).ok).toBe(false);
  });

  it('a naive date-time fails AwareDatetime; XComResponse needs the value key, null allowed', () => {
    expect(validate(byLine['1.3'].responses.PrevSuccessfulDagRunResponse, { start_date: '2026-11-25T00:00:00' }).ok).toBe(false);
    expect(validate(byLine['1.3'].responses.XComResponse, { key: 'k', value: null }).ok).toBe(true);
    expect(validate(byLine['1.3'].responses.XComResponse, { key: 'k' }).ok).toBe(false);
  });
});
