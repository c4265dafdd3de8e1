import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { VerifiedToken } from '../common/auth/token-claims';
import { validatePathParams } from '../common/problem/validation';
import { VariableKeyParams } from './dto/variable-key.params';
import { VARIABLE_PROBLEMS } from './variables.problems';

/** What a task asks to do with a variable. */
export interface VariableRequest {
  key: string;
  write: boolean;
}

/**
 * Who may read and write which variables: the replaceable part of the access check (as
 * `XComAccessPolicy` is for XComs). It sees the verified token and the key; a multi-team rule
 * (Airflow's `team_name`: a task reads the variables of its dag's team and the global ones) would
 * look the token's dag up here. Replace it by providing another class under
 * `VARIABLE_ACCESS_POLICY` in `VariablesModule` (docs/security.md, "Variables and connections").
 */
export interface VariableAccessPolicy {
  /** Throws a `DomainError` (a 4xx) when the token may not do `request`. */
  check(token: VerifiedToken, request: VariableRequest): Promise<void> | void;
}

export const VARIABLE_ACCESS_POLICY = Symbol('VARIABLE_ACCESS_POLICY');

/**
 * Airflow's rule for a deployment without teams (this service keeps none): `has_variable_access`
 * lets any valid task token read, set and delete any variable. Costs no query.
 */
@Injectable()
export class AnyTaskMayUseVariables implements VariableAccessPolicy {
  check(): void {}
}

/** A policy that refuses: what a replacement throws (Airflow's 403 `access_denied`). */
export const variableAccessDenied = (key: string) =>
  VARIABLE_PROBLEMS.error('variable_access_denied', `Task does not have access to variable ${key}`, 'access_denied', { key });

/**
 * The path's key (`*key`, joined back with `/`), validated: 422 naming it, never echoing it.
 * Called from the guard (before any pipe), so the rule runs through `validatePathParams`.
 */
export const variableKeyOf = (params: Record<string, unknown>): string => validatePathParams(VariableKeyParams, { key: params.key }).key;

/**
 * The routes' check, declared with `@TaskInstanceFrom({ resolver: VariableAccess })`: a variable
 * names no task instance, so the token's own passes once the policy allows the request.
 */
@Injectable()
export class VariableAccess implements TaskInstanceResolver {
  constructor(@Inject(VARIABLE_ACCESS_POLICY) private readonly policy: VariableAccessPolicy) {}

  async resolve(req: Request, token: VerifiedToken): Promise<string> {
    const params = req.params as Record<string, unknown>;
    // GET …/keys names no key: the policy sees the empty key (a listing).
    const key = params.key === undefined ? '' : variableKeyOf(params);
    await this.policy.check(token, { key, write: req.method !== 'GET' && req.method !== 'HEAD' });
    return token.sub;
  }
}
