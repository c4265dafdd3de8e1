import { DomainError } from '../common/problem/domain-error';
import type { TaskInstanceState } from './task-instance-state';
import { TASK_INSTANCE_PROBLEMS } from './task-instances.problems';

export class TaskInstanceNotFoundError extends DomainError {
  constructor(taskInstanceId: string) {
    super('not_found', `Task instance ${taskInstanceId} not found.`, 'not_found', { task_instance_id: taskInstanceId });
  }

  override readonly airflow = { message: 'Task Instance not found' };
}

export class RenderedFieldsNotFoundError extends DomainError {
  constructor(taskInstanceId: string) {
    super(
      TASK_INSTANCE_PROBLEMS.code('rendered_fields_not_found'),
      `Task instance ${taskInstanceId} has no rendered fields yet.`,
      'rendered_fields_not_found',
      {
        task_instance_id: taskInstanceId,
      },
    );
  }
}

/** Airflow's message for an id found only in the task-instance history. */
export const MOVED_TO_HISTORY_MESSAGE = 'Task Instance not found, it may have been moved to the Task Instance History table';

/** The id belonged to an archived try: 410 with Airflow's reason `not_found`. */
export class TaskInstanceMovedToHistoryError extends DomainError {
  constructor(taskInstanceId: string) {
    super(TASK_INSTANCE_PROBLEMS.code('moved_to_history'), MOVED_TO_HISTORY_MESSAGE, 'not_found', { task_instance_id: taskInstanceId });
  }
}

/** `/run` or `/state` from a state the transition does not start from; Airflow's `invalid_state`. */
export class InvalidStateError extends DomainError {
  constructor(
    readonly previousState: TaskInstanceState,
    message: string,
  ) {
    super(TASK_INSTANCE_PROBLEMS.code('invalid_state'), message, 'invalid_state', { previous_state: previousState });
  }
}

/** A heartbeat from another host or pid than the recorded one; Airflow's `running_elsewhere`. */
export class RunningElsewhereError extends DomainError {
  constructor(currentHostname: string | null, currentPid: number | null) {
    super(TASK_INSTANCE_PROBLEMS.code('running_elsewhere'), 'TI is already running elsewhere', 'running_elsewhere', {
      current_hostname: currentHostname,
      current_pid: currentPid,
    });
  }
}

/** A heartbeat for a task instance that left `running`; Airflow's `not_running`. */
export class NotRunningError extends DomainError {
  constructor(currentState: TaskInstanceState) {
    super(TASK_INSTANCE_PROBLEMS.code('not_running'), 'TI is no longer in the running state and task should terminate', 'not_running', {
      current_state: currentState,
    });
  }
}
