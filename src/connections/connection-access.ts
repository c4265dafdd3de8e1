import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { VerifiedToken } from '../common/auth/token-claims';
import { validatePathParams } from '../common/problem/validation';
import { ConnectionIdParams } from './dto/connection-id.params';

/**
 * Who may read which connections: the replaceable part of the access check (as
 * `XComAccessPolicy` is for XComs). A multi-team rule (Airflow's `team_name`) would look the
 * token's dag up here and throw `connectionAccessDenied`. Replace it by providing another class
 * under `CONNECTION_ACCESS_POLICY` in `ConnectionsModule` (docs/security.md).
 */
export interface ConnectionAccessPolicy {
  /** Throws a `DomainError` (a 4xx) when the token may not read the connection. */
  check(token: VerifiedToken, connId: string): Promise<void> | void;
}

export const CONNECTION_ACCESS_POLICY = Symbol('CONNECTION_ACCESS_POLICY');

/** Airflow's rule without teams (this service keeps none): any valid task token reads any connection. */
@Injectable()
export class AnyTaskMayReadConnections implements ConnectionAccessPolicy {
  check(): void {}
}

/**
 * The path's `conn_id` (`*conn_id`, joined back with `/`), validated: 422 naming it, never echoing
 * it. Called from the guard (before any pipe), so the rule runs through `validatePathParams`.
 */
export const connIdOf = (params: Record<string, unknown>): string => validatePathParams(ConnectionIdParams, { conn_id: params.conn_id }).conn_id;

/** The route's check (`@TaskInstanceFrom({ resolver: ConnectionAccess })`): the token's own task instance once the policy allows. */
@Injectable()
export class ConnectionAccess implements TaskInstanceResolver {
  constructor(@Inject(CONNECTION_ACCESS_POLICY) private readonly policy: ConnectionAccessPolicy) {}

  async resolve(req: Request, token: VerifiedToken): Promise<string> {
    await this.policy.check(token, connIdOf(req.params as Record<string, unknown>));
    return token.sub;
  }
}
