import type { ExecutionContext } from '@nestjs/common';

/** A route handler and its controller class, as Nest's `ExecutionContext` gives them. */
type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

/**
 * What a guard or interceptor reads from a handler's decorators, read on the handler's first
 * request and kept: decorators are fixed once the module is loaded, so every later request is two
 * map lookups instead of metadata reads over the handler and its class. Kept by handler, then
 * controller class (an inherited handler may sit under another class's declarations), in weak maps.
 */
export class HandlerPlans<T extends object> {
  private readonly plans = new WeakMap<object, WeakMap<object, Readonly<T>>>();

  /** `read` reads the declarations of one handler under one controller class (once per pair). */
  constructor(private readonly read: (handler: Handler, controller: Controller) => T) {}

  /** The plan of the handler `context` runs. */
  of(context: ExecutionContext): Readonly<T> {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byClass = this.plans.get(handler);
    if (byClass === undefined) this.plans.set(handler, (byClass = new WeakMap()));
    let plan = byClass.get(controller);
    if (plan === undefined) byClass.set(controller, (plan = Object.freeze(this.read(handler, controller))));
    return plan;
  }
}
