import { Injectable } from '@nestjs/common';
import type { TaskInstanceResolver } from '../common/auth/task-instance-source';
import type { VerifiedToken } from '../common/auth/token-claims';

/**
 * For execution routes that read across task instances and name none (Airflow serves them on its
 * plain router, without the `ti:self` scope): any verified token of an accepted scope may call
 * them, so the route "names" the token's own task instance. As in Airflow, the token's task
 * instance is not looked up: a task of an archived try may still count its neighbours.
 */
@Injectable()
export class AnyTaskInstanceToken implements TaskInstanceResolver {
  async resolve(_req: unknown, token: VerifiedToken): Promise<string> {
    return token.sub;
  }
}
