import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AdminScopeRequiredError, InvalidTokenError, MissingTokenError, WrongScopeError, WrongTaskInstanceError } from './auth.errors';
import { ACCEPT_TOKEN_SCOPES, PUBLIC_ROUTE } from './auth.decorators';
import { REFRESHED_TOKEN_HEADER, type TokenScope, type VerifiedToken } from './token-claims';
import { refreshDue, TokenIssuer } from './token-issuer';
import { TokenVerifier } from './token-verifier';

/** The path parameter every execution route names its task instance with. */
export const TASK_INSTANCE_PARAM = 'task_instance_id';

const DEFAULT_SCOPES: readonly TokenScope[] = ['execution'];

type RoutePolicy = 'public' | 'execution' | 'admin';

/**
 * Decides by the route's template (not the request path: Express matches case-insensitively, so
 * `/EXECUTION/…` reaches the same handler). Only routes registered through Nest reach a guard;
 * Swagger UI and the OpenAPI document are mounted on Express directly and stay public.
 */
export function routePolicy(template: string): RoutePolicy {
  const path = `/${template}`.replace(/\/+/g, '/').toLowerCase();
  if (path === '/execution' || path.startsWith('/execution/')) return 'execution';
  if (path === '/api' || path.startsWith('/api/')) return 'admin';
  return 'public';
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
 * The one global guard, secure by default:
 * - routes under `/execution/` need a task-instance token whose `sub` is the `task_instance_id`
 *   path parameter and whose scope the route accepts (`execution`; see `@AcceptTokenScopes`);
 *   an execution token close to expiry gets a re-signed one in `Refreshed-API-Token`;
 * - routes under `/api/` need a token with scope `admin`;
 * - everything else, and routes marked `@PublicRoute()`, is public.
 * Failures are `DomainError`s, so the problem-details filter renders them (with `WWW-Authenticate`).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly issuer: TokenIssuer,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const template = (req.route as { path?: unknown } | undefined)?.path;
    // Fail closed: a handler reached without a matched Express route is a wiring bug.
    if (typeof template !== 'string') throw new Error('AuthGuard: no route template on the request');
    const policy = routePolicy(template);
    if (policy === 'public') return true;

    try {
      const token = await this.verifier.verify(bearerTokenOf(req));
      if (policy === 'admin') {
        if (token.scope !== 'admin') throw new AdminScopeRequiredError(token.scope);
      } else {
        await this.authorizeTaskInstance(context, token);
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

  private async authorizeTaskInstance(context: ExecutionContext, token: VerifiedToken): Promise<void> {
    const accepted = this.reflector.getAllAndOverride<TokenScope[] | undefined>(ACCEPT_TOKEN_SCOPES, [context.getHandler(), context.getClass()]) ?? DEFAULT_SCOPES;
    if (!accepted.includes(token.scope)) throw new WrongScopeError(token.scope, accepted);
    const req = context.switchToHttp().getRequest<Request>();
    const param = (req.params as Record<string, string | undefined>)[TASK_INSTANCE_PARAM];
    // UUIDs compare case-insensitively; the route's pipe still validates the shape.
    if (param === undefined || token.sub.toLowerCase() !== param.toLowerCase()) throw new WrongTaskInstanceError(param);
    if (refreshDue(token)) {
      // Set before the handler runs, so error responses carry it too (the client swaps on any response).
      context.switchToHttp().getResponse<Response>().setHeader(REFRESHED_TOKEN_HEADER, (await this.issuer.refreshed(token)).token);
    }
  }
}
