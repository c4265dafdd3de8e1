import { isAwareDateTime } from '../../src/common/http/aware-date-time';
import { isTaskRef } from '../../src/task-instances/lifecycle/dto/lifecycle.validators';

describe('isAwareDateTime (Airflow UtcDateTime: a time zone is required)', () => {
  it.each(['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.123456Z', '2026-11-25T10:00Z', '2026-11-25T10:00:00+02:00', '2026-11-25T10:00:00-0530'])(
    'accepts %s',
    (v) => {
      expect(isAwareDateTime(v)).toBe(true);
    },
  );
  it.each(['2026-11-25T10:00:00', '2026-11-25', '2026-13-45T10:00:00Z', 'yesterday', '', 1_700_000_000, null])('rejects %j', (v) => {
    expect(isAwareDateTime(v)).toBe(false);
  });
});

describe('isTaskRef (skip-downstream entries)', () => {
  it.each([['t'], [['t', -1]], [['t', 0]], [['t', 2_147_483_647]], ['x'.repeat(250)]])('accepts %j', (v) => {
    expect(isTaskRef(v)).toBe(true);
  });
  it.each([[''], ['x'.repeat(251)], [['t']], [['t', -2]], [['t', 1.5]], [['t', '1']], [['t', 1, 2]], [[1, 't']], [42], [null], [{ task_id: 't' }]])(
    'rejects %j',
    (v) => {
      expect(isTaskRef(v)).toBe(false);
    },
  );
});
