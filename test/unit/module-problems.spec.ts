import { statusOf } from '../../src/common/problem/problem-details.filter';
import { defineProblemCodes } from '../../src/common/problem/module-problems';
import { ProblemDto } from '../../src/common/problem/problem.dto';
import { TASK_INSTANCE_PROBLEMS } from '../../src/task-instances/task-instances.problems';
import { XCOM_PROBLEMS } from '../../src/xcom/xcom.problems';

describe('module-owned problem codes (defineProblemCodes)', () => {
  it("gives a module's code the status the module declared, next to the core's exhaustive switch", () => {
    expect(statusOf(XCOM_PROBLEMS.code('unmappable_return_value_length'))).toBe(400);
    expect(statusOf(XCOM_PROBLEMS.code('xcom_value_too_large'))).toBe(413);
    expect(statusOf(TASK_INSTANCE_PROBLEMS.code('moved_to_history'))).toBe(410);
    expect(statusOf(TASK_INSTANCE_PROBLEMS.code('running_elsewhere'))).toBe(409);
    const error = XCOM_PROBLEMS.error('xcom_not_found', 'no such XCom', 'not_found', { key: 'k' });
    expect([error.code, error.reason, error.extensions]).toEqual(['xcom_not_found', 'not_found', { key: 'k' }]);
  });

  it("refuses, when the module is loaded, a core code, another module's code, or a malformed one", () => {
    expect(() => defineProblemCodes('test-a', ProblemDto, { not_found: 404 })).toThrow('test-a: problem code "not_found" is a core code');
    expect(() => defineProblemCodes('test-b', ProblemDto, { xcom_not_found: 404 })).toThrow('test-b: problem code "xcom_not_found" is already defined by xcom');
    expect(() => defineProblemCodes('test-c', ProblemDto, { 'Not-Snake': 400 })).toThrow('must be snake_case');
  });
});
