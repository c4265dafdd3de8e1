import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { mergeMap, type Observable } from 'rxjs';
import { REFRESHED_TOKEN_HEADER } from './token-claims';
import { TokenIssuer } from './token-issuer';

/**
 * The workload → execution exchange: when a route accepted a workload token (only routes marked
 * `@AcceptTokenScopes(..., 'workload')` do), its successful response carries a fresh execution
 * token for the same task instance in `Refreshed-API-Token`. Global interceptors wrap route
 * interceptors, so the token is signed after the unit of work has committed, and a failed
 * request gets none.
 */
@Injectable()
export class WorkloadExchangeInterceptor implements NestInterceptor {
  constructor(private readonly issuer: TokenIssuer) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const token = context.switchToHttp().getRequest<Request>().token;
    if (token?.scope !== 'workload') return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      mergeMap(async (value) => {
        res.setHeader(REFRESHED_TOKEN_HEADER, (await this.issuer.executionToken(token.sub)).token);
        return value;
      }),
    );
  }
}
