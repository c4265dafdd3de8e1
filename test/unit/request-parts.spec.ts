import { ApiVersionHeaders } from '../../src/common/api-version/api-version.headers';
import { RequestValidationException, validateRequestPart, validateRequestParts } from '../../src/common/problem/validation';
import { TaskInstanceKeyParams, TaskInstanceMapIndex } from '../../src/task-instances/task-instance-key.params';

/** The refusal `fn` throws, as the filter sees it (detail and issues), or the value it returned. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    if (!(error instanceof RequestValidationException)) throw error;
    return { detail: error.message, issues: error.issues };
  }
}

const MAP_INDEX = 'map_index must be an integer from -1 to 2147483647';

describe('validateRequestPart / validateRequestParts: the path DTO rules for guard-time query and middleware headers', () => {
  describe('TaskInstanceMapIndex (the key resolver and XCom writes)', () => {
    it.each([
      [undefined, undefined],
      ['-1', -1],
      ['0', 0],
      ['2147483647', 2147483647],
    ])('%j is %j (absent: no value, the caller defaults it to -1)', (given, expected) => {
      expect(validateRequestPart(TaskInstanceMapIndex, { map_index: given }, 'query').map_index).toBe(expected);
    });

    it.each([['-2'], ['2147483648'], ['99999999999'], ['1.5'], ['+1'], [' 1'], ['1e3'], ['0x10'], [''], [['1', '2']], [{ a: '1' }]])(
      '%j: one issue in the query, the default detail, the value never repeated',
      (given) => {
        expect(outcome(() => validateRequestPart(TaskInstanceMapIndex, { map_index: given }, 'query'))).toEqual({
          detail: 'The request is not valid.',
          issues: [{ path: 'map_index', message: MAP_INDEX, location: 'query' }],
        });
      },
    );

    it('is located where it was read: the path', () => {
      expect(outcome(() => validateRequestPart(TaskInstanceMapIndex, { map_index: 'x' }, 'path'))).toEqual({
        detail: 'The request is not valid.',
        issues: [{ path: 'map_index', message: MAP_INDEX, location: 'path' }],
      });
    });

    it('refuses a query value its DTO does not declare (callers pass only what it reads)', () => {
      expect(outcome(() => validateRequestPart(TaskInstanceMapIndex, { map_index: '1', colour: 'red' }, 'query'))).toEqual({
        detail: 'The request is not valid.',
        issues: [{ path: 'colour', message: 'colour is not allowed', location: 'query', type: 'extra_forbidden' }],
      });
    });
  });

  describe('the task-instance key (validateRequestParts)', () => {
    const key = (ids: Record<string, unknown>, mapIndex: unknown) =>
      outcome(() =>
        validateRequestParts(
          [
            { metatype: TaskInstanceKeyParams, value: ids, part: 'path' },
            { metatype: TaskInstanceMapIndex, value: { map_index: mapIndex }, part: 'query' },
          ],
          'The task instance key is not valid.',
        ),
      );

    it('returns each part, in order', () => {
      expect(key({ dag_id: 'd', run_id: 'r', task_id: 't' }, '3')).toEqual({ value: [{ dag_id: 'd', run_id: 'r', task_id: 't' }, { map_index: 3 }] });
    });

    it('lets an id of any length through (it names no task instance: the resolver answers 403)', () => {
      expect(key({ dag_id: 'd'.repeat(1000), run_id: 'r', task_id: 't' }, undefined)).toEqual({
        value: [{ dag_id: 'd'.repeat(1000), run_id: 'r', task_id: 't' }, { map_index: undefined }],
      });
    });

    it('refuses every bad part at once, each message naming its part, under the one detail', () => {
      expect(key({ dag_id: '', run_id: 'r\u0000', task_id: 'a\u007f' }, '-2')).toEqual({
        detail: 'The task instance key is not valid.',
        issues: [
          { path: 'dag_id', message: 'dag_id must not be empty', location: 'path' },
          { path: 'run_id', message: 'run_id must not contain control characters', location: 'path' },
          { path: 'task_id', message: 'task_id must not contain control characters', location: 'path' },
          { path: 'map_index', message: MAP_INDEX, location: 'query' },
        ],
      });
    });

    it("one bad part alone still gets the key's detail", () => {
      expect(key({ dag_id: 'd', run_id: 'r', task_id: 't' }, 'x')).toEqual({
        detail: 'The task instance key is not valid.',
        issues: [{ path: 'map_index', message: MAP_INDEX, location: 'query' }],
      });
    });
  });

  describe('ApiVersionHeaders (the version middleware)', () => {
    const header = (value: unknown) => outcome(() => validateRequestPart(ApiVersionHeaders, { 'Airflow-API-Version': value }, 'header'));

    it.each(['2025-04-11', '2026-06-30', '2024-02-29'])('%s is a date', (value) => {
      expect(header(value)).toEqual({ value: { 'Airflow-API-Version': value } });
    });

    it.each(['banana', '2026-02-30', '2025-13-01', '2026-06-30T00:00:00Z', '20250520', '2025-5-20', ''])(
      "%j: the issue is named `header Airflow-API-Version`, with no location, under the header's detail",
      (value) => {
        expect(header(value)).toEqual({
          detail: 'The Airflow-API-Version header is not a valid date.',
          issues: [
            {
              path: 'header Airflow-API-Version',
              message: 'Airflow-API-Version must be a date (YYYY-MM-DD)',
            },
          ],
        });
      },
    );
  });

  it('refuses synchronously (a guard or middleware answers before anything else yields)', () => {
    expect(() => validateRequestPart(TaskInstanceMapIndex, { map_index: 'x' }, 'query')).toThrow(RequestValidationException);
  });
});
