import { buildAirflowError } from '../../src/common/problem/airflow-error';
import { buildProblem } from '../../src/common/problem/problem';

describe('buildAirflowError (the Airflow wire format of a neutral error)', () => {
  it('a typed error: reason, the detail as message, the extensions beside them (undefined ones dropped)', () => {
    expect(
      buildAirflowError({ status: 409, reason: 'invalid_state', detail: 'TI was not …', extensions: { previous_state: 'running', gone: undefined } }, 'c'),
    ).toEqual({ detail: { reason: 'invalid_state', message: 'TI was not …', previous_state: 'running' } });
  });

  it("Airflow's message wins over the detail; an extension cannot overwrite reason or message", () => {
    expect(
      buildAirflowError(
        {
          status: 404,
          reason: 'not_found',
          detail: 'Task instance 01 not found.',
          extensions: { reason: 'x', message: 'y' },
          airflow: { message: 'Task Instance not found' },
        },
        'c',
      ),
    ).toEqual({ detail: { reason: 'not_found', message: 'Task Instance not found' } });
  });

  it('a plain-string answer and the catch-all 500', () => {
    expect(buildAirflowError({ status: 401, reason: 'missing_token', detail: 'd', airflow: { detail: 'Missing auth token' } }, 'c')).toEqual({
      detail: 'Missing auth token',
    });
    expect(buildAirflowError({ status: 500, reason: 'internal_error', detail: 'd', airflow: 'internal_error' }, 'c-1')).toEqual({
      message: 'Internal server error',
      'correlation-id': 'c-1',
    });
  });

  it("validation issues: FastAPI's loc (location, then path segments, list indexes as numbers) and Pydantic types", () => {
    const body = buildAirflowError(
      {
        status: 422,
        reason: 'validation_error',
        detail: 'The request is not valid.',
        errors: [
          { path: '', message: 'malformed JSON', type: 'json_invalid' },
          { path: 'tasks.1.0', message: 'must be a string' },
          { path: 'pid', message: 'pid is required' },
          { path: 'extra', message: 'extra is not allowed' },
          { path: 'map_index', message: 'map_index must be an integer', location: 'query' },
          { path: 'task_instance_id', message: 'must be a UUID', location: 'path', type: 'uuid_parsing' },
          { path: 'a.01', message: 'x' },
          { path: 'deep.n[0]', message: 'y' },
        ],
      },
      'c',
    );
    expect(body).toEqual({
      detail: [
        { loc: ['body'], msg: 'malformed JSON', type: 'json_invalid' },
        { loc: ['body', 'tasks', 1, 0], msg: 'must be a string', type: 'value_error' },
        { loc: ['body', 'pid'], msg: 'pid is required', type: 'missing' },
        { loc: ['body', 'extra'], msg: 'extra is not allowed', type: 'extra_forbidden' },
        { loc: ['query', 'map_index'], msg: 'map_index must be an integer', type: 'value_error' },
        { loc: ['path', 'task_instance_id'], msg: 'must be a UUID', type: 'uuid_parsing' },
        // Not a list index: a key that happens to be digits with a leading zero stays a string.
        { loc: ['body', 'a', '01'], msg: 'x', type: 'value_error' },
        { loc: ['body', 'deep', 'n', 0], msg: 'y', type: 'value_error' },
      ],
    });
  });

  it('the problem format keeps only path and message of an issue (location and type are Airflow-only)', () => {
    const problem = buildProblem(
      { status: 422, reason: 'validation_error', detail: 'd', errors: [{ path: 'map_index', message: 'm', location: 'query', type: 'value_error' }] },
      '/x',
      'c',
    );
    expect(problem.errors).toEqual([{ path: 'map_index', message: 'm' }]);
  });
});
