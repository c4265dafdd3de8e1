import { DomainError } from '../common/problem/domain-error';

export class TaskInstanceNotFoundError extends DomainError {
  constructor(taskInstanceId: string) {
    super('not_found', `Task instance ${taskInstanceId} not found.`, 'not_found', { task_instance_id: taskInstanceId });
  }
}

export class RenderedFieldsNotFoundError extends DomainError {
  constructor(taskInstanceId: string) {
    super('rendered_fields_not_found', `Task instance ${taskInstanceId} has no rendered fields yet.`, 'rendered_fields_not_found', {
      task_instance_id: taskInstanceId,
    });
  }
}
