import { Injectable, type CallHandler, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';

/**
 * Sends a handler's `null` as the JSON body `null` (Airflow's "no previous run"): Nest sends a
 * returned null as an empty body. Placed outside `@VersionedResponse`, which passes null through;
 * the route declares `Content-Type: application/json` with `@Header`.
 */
@Injectable()
export class JsonNullInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((body) => (body === null ? 'null' : body)));
  }
}
