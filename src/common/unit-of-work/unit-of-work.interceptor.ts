import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from '../idempotency-keys/idempotency-key.mode';
import { IdempotencyKeys } from '../idempotency-keys/idempotency-keys';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { UNIT_OF_WORK_POLICY, type UnitOfWorkPolicy } from './unit-of-work.policy';
import { UnitOfWorkRunner } from './unit-of-work.runner';

/**
 * Runs the route handler inside `UnitOfWorkRunner.run`, re-invoking it on each attempt. An
 * interceptor (not the exception filter) does this because only an interceptor can run the handler
 * again; the filter only translates what is left.
 */
/** A handler's declarations as the interceptor needs them, read once per handler and controller class. */
interface HandlerPlan {
  readonly policy: UnitOfWorkPolicy | undefined;
  readonly keyMode: IdempotencyKeyMode | undefined;
}

@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  /**
   * Each handler's policy and key mode (by handler, then class: an inherited handler may sit under
   * another class's declarations). Decorators are fixed once the module is loaded; per request
   * this is a map lookup instead of three metadata reads.
   */
  private readonly plans = new WeakMap<object, WeakMap<object, HandlerPlan>>();
  /** The metrics and log label of each Express route (`PUT /execution/…/rtif`), by route object and method. */
  private readonly labels = new WeakMap<object, Map<string, string>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly runner: UnitOfWorkRunner,
    private readonly keys: IdempotencyKeys,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { policy, keyMode } = this.planOf(context);
    // Class- and handler-level decorators both register this interceptor: the inner one joins.
    if (policy === undefined || UnitOfWorkRunner.isActive()) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const route = this.routeLabel(req, context);
    // next.handle() is called inside each attempt so the handler runs in that attempt's context.
    const handle = () => lastValueFrom(next.handle(), { defaultValue: undefined });
    if (keyMode === undefined) return defer(() => this.runner.run(policy, route, handle));
    const res = context.switchToHttp().getResponse<Response>();
    return defer(() => this.keys.run(keyMode, route, req, res, (work) => this.runner.run(policy, route, work), handle));
  }

  private planOf(context: ExecutionContext): HandlerPlan {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byClass = this.plans.get(handler);
    if (byClass === undefined) this.plans.set(handler, (byClass = new WeakMap()));
    let plan = byClass.get(controller);
    if (plan === undefined) {
      plan = Object.freeze({
        policy: this.reflector.getAllAndOverride<UnitOfWorkPolicy | undefined>(UNIT_OF_WORK_POLICY, [handler, controller]),
        keyMode: this.reflector.get<IdempotencyKeyMode | undefined>(IDEMPOTENCY_KEY_MODE, handler),
      });
      byClass.set(controller, plan);
    }
    return plan;
  }

  /** `METHOD template`, built once per Express route and method (the handler's name without a route). */
  private routeLabel(req: Request, context: ExecutionContext): string {
    const route = req.route as { path?: string } | undefined;
    if (route === undefined) return `${req.method} ${context.getHandler().name}`;
    let byMethod = this.labels.get(route);
    if (byMethod === undefined) this.labels.set(route, (byMethod = new Map()));
    let label = byMethod.get(req.method);
    if (label === undefined) byMethod.set(req.method, (label = `${req.method} ${route.path ?? context.getHandler().name}`));
    return label;
  }
}
