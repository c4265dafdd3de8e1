import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from '../idempotency-keys/idempotency-key.mode';
import { IdempotencyKeys } from '../idempotency-keys/idempotency-keys';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { UNIT_OF_WORK_POLICY, type UnitOfWorkPolicy } from './unit-of-work.policy';
import { UnitOfWorkRunner } from './unit-of-work.runner';
import { HandlerPlans } from '../http/handler-plans';

/** A handler's declarations as the interceptor needs them, read once per handler and controller class. */
interface HandlerPlan {
  readonly policy: UnitOfWorkPolicy | undefined;
  readonly keyMode: IdempotencyKeyMode | undefined;
}

/**
 * Runs the route handler inside `UnitOfWorkRunner.run`, re-invoking it on each attempt. An
 * interceptor (not the exception filter) does this because only an interceptor can run the handler
 * again; the filter only translates what is left.
 */
@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  /** Each handler's `@UnitOfWork` policy (handler over class) and `@IdempotencyKey` mode, read once. */
  private readonly plans = new HandlerPlans<HandlerPlan>((handler, controller) => ({
    policy: this.reflector.getAllAndOverride<UnitOfWorkPolicy | undefined>(UNIT_OF_WORK_POLICY, [handler, controller]),
    keyMode: this.reflector.get<IdempotencyKeyMode | undefined>(IDEMPOTENCY_KEY_MODE, handler),
  }));

  constructor(
    private readonly reflector: Reflector,
    private readonly runner: UnitOfWorkRunner,
    private readonly keys: IdempotencyKeys,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { policy, keyMode } = this.plans.of(context);
    // Class- and handler-level decorators both register this interceptor: the inner one joins.
    if (policy === undefined || UnitOfWorkRunner.isActive()) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const route = `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? context.getHandler().name}`;
    // next.handle() is called inside each attempt so the handler runs in that attempt's context.
    const handle = () => lastValueFrom(next.handle(), { defaultValue: undefined });
    if (keyMode === undefined) return defer(() => this.runner.run(policy, route, handle));
    const res = context.switchToHttp().getResponse<Response>();
    return defer(() => this.keys.run(keyMode, route, req, res, (work) => this.runner.run(policy, route, work), handle));
  }
}
