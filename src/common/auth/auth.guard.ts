import { CanActivate, ExecutionContext, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AdminScopeRequiredError, InvalidTokenError, MissingTokenError, WrongScopeError, WrongTaskInstanceError } from './auth.errors';
import { ACCEPT_TOKEN_SCOPES, PUBLIC_ROUTE } from './auth.decorators';
import { REFRESHED_TOKEN_HEADER, type TokenScope, type VerifiedToken } from './token-claims';
import { routeArea } from './route-area';
import { HandlerPlans } from '../http/handler-plans';
import { TASK_INSTANCE_SOURCE, type TaskInstanceResolver, type TaskInstanceSource } from './task-instance-source';
import { refreshDue, TokenIssuer } from './token-issuer';
import { TokenVerifier } from './token-verifier';

const DEFAULT_SCOPES: readonly TokenScope[] = ['execution'];

/** What a handler declares for the guard (`@PublicRoute`, `@AcceptTokenScopes`, `@TaskInstanceFrom`), handler over class. */
interface RoutePlan {
  readonly public: boolean;
  readonly accepted: readonly TokenScope[];
  readonly source: TaskInstanceSource | undefined;
}

/** The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235). */
function bearerTokenOf(req: Request): string {
  const header = req.headers.authorization;
  if (header === undefined) throw new MissingTokenError();
  const match = /^Bearer[ ]+(\S*)[ ]*$/i.exec(header);
  if (!match) {
    // Another scheme (Basic, …) carries no bearer token at all.
    if (!/^Bearer(\s|$)/i.test(header)) throw new MissingTokenError();
    throw new InvalidTokenError('malformed', 'The Authorization header is not of the form Bearer <token>.');
  }
  if (match[1].length === 0) throw new InvalidTokenError('malformed', 'The Authorization header is not of the form Bearer <token>.');
  return match[1];
}

/**
 * The one global guard, secure by default. It decides by the route's template (`routeArea`), not
 * the request path; only routes registered through Nest reach it (Swagger UI and the OpenAPI
 * document are mounted on Express directly and stay public):
 * - execution routes need a task-instance token whose `sub` is the task instance the route names
 *   (`@TaskInstanceFrom`: a path parameter or a resolver; without it, no token is accepted) and
 *   whose scope the route accepts (`execution`; see `@AcceptTokenScopes`); an execution token
 *   close to expiry gets a re-signed one in `Refreshed-API-Token`;
 * - admin routes need a token with scope `admin`;
 * - everything else, and routes marked `@PublicRoute()`, is public.
 * Failures are `DomainError`s, so the problem-details filter renders them (with `WWW-Authenticate`).
 */
@Injectable()
export class AuthGuard implements CanActivate, OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  private readonly resolvers = new Map<TaskInstanceSource, TaskInstanceResolver>();
  /** Each handler's `@PublicRoute`, `@AcceptTokenScopes` and `@TaskInstanceFrom`, handler over class, read once. */
  private readonly plans = new HandlerPlans<RoutePlan>((handler, controller) => {
    const targets = [handler, controller];
    return {
      public: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true,
      accepted: this.reflector.getAllAndOverride<TokenScope[] | undefined>(ACCEPT_TOKEN_SCOPES, targets) ?? DEFAULT_SCOPES,
      source: this.reflector.getAllAndOverride<TaskInstanceSource | undefined>(TASK_INSTANCE_SOURCE, targets),
    };
  });

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly issuer: TokenIssuer,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Looks up every resolver a route declares, once: a resolver no module provides stops the
   * start-up here, naming it, instead of turning each request of that route into a 500.
   */
  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as object;
      const targets = [controller, ...this.scanner.getAllMethodNames(prototype).map((name) => (prototype as Record<string, unknown>)[name])];
      for (const target of targets) {
        const source = this.reflector.get<TaskInstanceSource | undefined>(TASK_INSTANCE_SOURCE, target as () => unknown);
        if (!source || !('resolver' in source) || this.resolvers.has(source)) continue;
        try {
          this.resolvers.set(source, this.moduleRef.get(source.resolver, { strict: false }));
        } catch {
          throw new Error(`@TaskInstanceFrom() on ${controller.name}: no module provides the resolver ${source.resolver.name}`);
        }
      }
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const plan = this.plans.of(context);
    if (plan.public) return true;
    const route = req.route as { path?: unknown } | undefined;
    const template = route?.path;
    // Fail closed: a handler reached without a matched Express route is a wiring bug.
    if (typeof template !== 'string') throw new Error('AuthGuard: no route template on the request');
    const policy = routeArea(template);
    if (policy === 'public') return true;

    try {
      const token = await this.verifier.verify(bearerTokenOf(req));
      if (policy === 'admin') {
        if (token.scope !== 'admin') throw new AdminScopeRequiredError(token.scope);
      } else {
        await this.authorizeTaskInstance(context, plan, token);
      }
      req.token = token;
      return true;
    } catch (error) {
      // Never the token or its claims: the reason and, for invalid tokens, the failed check.
      const e = error as { reason?: string; check?: string };
      this.logger.debug({ msg: 'request refused', reason: e.reason, check: e.check, route: `${req.method} ${template}`, correlation_id: req.correlationId });
      throw error;
    }
  }

  private async authorizeTaskInstance(context: ExecutionContext, plan: RoutePlan, token: VerifiedToken): Promise<void> {
    const { accepted } = plan;
    if (!accepted.includes(token.scope)) throw new WrongScopeError(token.scope, accepted);
    const req = context.switchToHttp().getRequest<Request>();
    const named = await this.namedTaskInstance(plan, req, token);
    // UUIDs compare case-insensitively; the route's pipe still validates the shape.
    if (named === undefined || token.sub.toLowerCase() !== named.toLowerCase()) throw new WrongTaskInstanceError(named ?? '');
    if (refreshDue(token)) {
      // Set before the handler runs, so error responses carry it too (the client swaps on any response).
      context
        .switchToHttp()
        .getResponse<Response>()
        .setHeader(REFRESHED_TOKEN_HEADER, (await this.issuer.refreshed(token)).token);
    }
  }

  /**
   * The id of the task instance the route names, from its `@TaskInstanceFrom` declaration, or
   * `undefined` when its resolver finds none. A route that declares nothing names no task instance
   * and accepts no task-instance token: closed by default.
   */
  private async namedTaskInstance(plan: RoutePlan, req: Request, token: VerifiedToken): Promise<string | undefined> {
    const { source } = plan;
    if (source === undefined) throw new WrongTaskInstanceError(undefined);
    if ('param' in source) {
      const value = (req.params as Record<string, string | undefined>)[source.param];
      // A declaration naming a parameter the route lacks is a wiring bug, not a client error.
      if (value === undefined) throw new Error(`@TaskInstanceFrom(): the route has no path parameter ${source.param}`);
      return value;
    }
    const resolver = this.resolvers.get(source);
    if (resolver === undefined) throw new Error(`@TaskInstanceFrom(): resolver ${source.resolver.name} was not looked up at start-up`);
    return resolver.resolve(req, token);
  }
}
