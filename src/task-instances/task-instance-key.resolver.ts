import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { IssueLocation } from '../common/problem/problem';
import { RequestValidationException, type ValidationIssue } from '../common/problem/validation';

/** The longest `dag_id`, `run_id` or `task_id` a task instance can have (the column length). */
const MAX_ID_LENGTH = 250;
const MAX_MAP_INDEX = 2_147_483_647;
/** Control characters (U+0000 among them) can name no task instance, and NUL cannot reach SQL text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Resolves the task instance a route names by key, as Airflow's XCom routes do: `dag_id`, `run_id`
 * and `task_id` from the path, `map_index` from the path or the query string (default -1, an
 * unmapped task). For `@TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })`; exported by
 * `TaskInstancesModule`.
 *
 * The lookup is one indexed read (the `task_instance_composite_key` unique index) outside any
 * transaction: it only decides whose token the route accepts, and the handler's unit of work reads
 * the row again under its own lock. A key that names no live task instance resolves to nothing
 * (403 for every token); a malformed one is a 422 naming the part, never echoing it.
 */
@Injectable()
export class TaskInstanceKeyResolver implements TaskInstanceResolver {
  constructor(private readonly em: EntityManager) {}

  async resolve(req: Request): Promise<string | undefined> {
    const params = req.params as Record<string, string | undefined>;
    const issues: ValidationIssue[] = [];
    const key = {
      dagId: idPart(params, 'dag_id', issues),
      runId: idPart(params, 'run_id', issues),
      taskId: idPart(params, 'task_id', issues),
      mapIndex:
        params.map_index !== undefined
          ? mapIndexOf(params.map_index, 'path', issues)
          : mapIndexOf((req.query as Record<string, unknown>).map_index, 'query', issues),
    };
    if (issues.length > 0) throw new RequestValidationException(issues, 'The task instance key is not valid.');
    if ([key.dagId, key.runId, key.taskId].some((part) => part.length > MAX_ID_LENGTH)) return undefined;
    const rows = await this.em.execute<{ id: string }[]>('select id from task_instance where dag_id = ? and task_id = ? and run_id = ? and map_index = ?', [
      key.dagId,
      key.taskId,
      key.runId,
      key.mapIndex,
    ]);
    return rows[0]?.id;
  }
}

function idPart(params: Record<string, string | undefined>, name: string, issues: ValidationIssue[]): string {
  const value = params[name];
  // A route that declares this resolver without the parameter is a wiring bug, not a client error.
  if (value === undefined) throw new Error(`TaskInstanceKeyResolver: the route has no path parameter ${name}`);
  if (value.length === 0) issues.push({ path: name, message: `${name} must not be empty`, location: 'path' });
  else if (CONTROL.test(value)) issues.push({ path: name, message: `${name} must not contain control characters`, location: 'path' });
  return value;
}

function mapIndexOf(value: unknown, location: IssueLocation, issues: ValidationIssue[]): number {
  if (value === undefined) return -1;
  const n = typeof value === 'string' && /^-?[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < -1 || n > MAX_MAP_INDEX) {
    issues.push({ path: 'map_index', message: `map_index must be an integer from -1 to ${MAX_MAP_INDEX}`, location });
    return -1;
  }
  return n;
}
