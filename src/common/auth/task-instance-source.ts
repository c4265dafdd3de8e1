import { SetMetadata, type Type } from '@nestjs/common';
import type { Request } from 'express';
import type { VerifiedToken } from './token-claims';

export const TASK_INSTANCE_SOURCE = 'task-execution-api:auth:task-instance-source';

/**
 * Finds the task instance a request names when the route does not carry its id (Airflow's XCom
 * routes name it by `dag_id`, `run_id`, `task_id` and `map_index`). A Nest provider: the module
 * that owns the routes registers it (or imports a module that exports it); `AuthGuard` looks it up
 * at start-up, so a resolver nobody provides stops the boot instead of failing requests.
 */
export interface TaskInstanceResolver {
  /**
   * The id of the task instance the request names, or `undefined` when none matches (the guard
   * then answers 403 `wrong_task_instance`: no token can be for it). It runs after the token was
   * verified and before the route's pipes, so it validates what it reads itself and throws a
   * `RequestValidationException` (422) for a malformed name; it never trusts a value into SQL.
   *
   * `token` (verified, its scope accepted) is for rules that depend on who asks: a resolver may
   * answer the token's own task instance when the route grants it access to what the request
   * names (XCom reads: any task instance of the same dag), or throw a `DomainError` that says why
   * not better than a 403 (410 for a token of an archived try). The guard still compares the
   * answer with the token's `sub`.
   */
  resolve(req: Request, token: VerifiedToken): Promise<string | undefined>;
}

/**
 * How an execution route names its task instance:
 * - `{ param }`: the id is the path parameter `param` (compared case-insensitively: a UUID);
 * - `{ resolver }`: the provider `resolver` finds the id from what the request carries.
 */
export type TaskInstanceSource = { readonly param: string } | { readonly resolver: Type<TaskInstanceResolver> };

/**
 * Declares how an execution route (or every route of a controller) names the task instance whose
 * token it accepts; which scopes it accepts is `@AcceptTokenScopes` (default `execution`). An
 * execution route without it accepts no task-instance token (403 `wrong_task_instance`): the
 * default is closed. Checked when applied, so a typo fails at start-up.
 *
 * @example `@TaskInstanceFrom({ param: 'task_instance_id' })` on `/execution/task-instances/:task_instance_id/…`
 * @example `@TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })` on `/execution/xcoms/:dag_id/:run_id/:task_id/:key`
 */
export function TaskInstanceFrom(source: TaskInstanceSource): MethodDecorator & ClassDecorator {
  const given: { param?: unknown; resolver?: unknown } = typeof source === 'object' && source !== null ? source : {};
  const hasParam = 'param' in given;
  const hasResolver = 'resolver' in given;
  if (hasParam === hasResolver) throw new Error('@TaskInstanceFrom() needs exactly one of { param } or { resolver }');
  if (hasParam && (typeof given.param !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(given.param))) {
    throw new Error(`@TaskInstanceFrom(): param ${String(given.param)} is not a path parameter name`);
  }
  if (
    hasResolver &&
    (typeof given.resolver !== 'function' || typeof (given.resolver as { prototype?: { resolve?: unknown } }).prototype?.resolve !== 'function')
  ) {
    throw new Error('@TaskInstanceFrom(): resolver must be a class with a resolve(req) method');
  }
  return SetMetadata(
    TASK_INSTANCE_SOURCE,
    Object.freeze(hasParam ? { param: given.param as string } : { resolver: given.resolver as Type<TaskInstanceResolver> }),
  );
}
