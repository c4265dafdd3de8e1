import { defineProblemCodes } from '../common/problem/module-problems';
import { TaskInstanceProblemDto } from './task-instance-problem.dto';

/**
 * The problem codes the task-instance feature owns, with their statuses (Airflow's). The core's
 * `not_found` stays the core's: every feature answers it.
 */
export const TASK_INSTANCE_PROBLEMS = defineProblemCodes('task-instances', TaskInstanceProblemDto, {
  /** A task instance exists but has no rendered fields yet. */
  rendered_fields_not_found: 404,
  /** The id belonged to a try that was archived to the task-instance history (reason `not_found`). */
  moved_to_history: 410,
  /** The task instance is not in a state this transition starts from (`previous_state`). */
  invalid_state: 409,
  /** A heartbeat came from another host or pid than the one running the task (`current_hostname`, `current_pid`). */
  running_elsewhere: 409,
  /** A heartbeat for a task instance that is no longer running (`current_state`). */
  not_running: 409,
});
