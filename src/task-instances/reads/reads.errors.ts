import { DomainError } from '../../common/problem/domain-error';

/**
 * A task group no task instance of the dag belongs to. This service keeps no serialized dags, so
 * a group exists when some task id of the dag starts with `<group>.` (Airflow's default
 * `prefix_group_id`). Airflow's reason and message.
 */
export class TaskGroupNotFoundError extends DomainError {
  constructor(dagId: string, taskGroupId: string) {
    super('not_found', `Task group ${taskGroupId} not found in DAG ${dagId}`);
  }
}

/** A dag with no task instance here (Airflow: no serialized dag). Airflow's reason and message. */
export class DagNotFoundError extends DomainError {
  constructor(dagId: string) {
    super('not_found', `The Dag with ID: \`${dagId}\` was not found`);
  }
}
