import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';
import { resolvedApiVersion } from './api-version.header';
import { VersionBundle } from './version-bundle';

/** The metadata key `@VersionedResponse` sets (the schema name); the module checks them all at start-up. */
export const VERSIONED_RESPONSE = 'api-version:response-schema';

/**
 * Serializes the route's response in the caller's API version: the handler returns the newest
 * shape of `schema` (what the OpenAPI document shows), and the changes declared for `schema` and
 * the schemas nested in it (`defineVersionChanges`) are undone down to the version the request
 * resolved to. Only routes with this decorator run the transform.
 *
 * @example
 * \@VersionedResponse('TIRunContext')
 */
export function VersionedResponse(schema: string): MethodDecorator {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(schema)) throw new Error(`@VersionedResponse: "${schema}" is not a schema name`);
  return applyDecorators(SetMetadata(VERSIONED_RESPONSE, schema), UseInterceptors(VersionedResponseInterceptor));
}

/** Applies the bundle's migration for the route's declared schema to the handler's result. */
@Injectable()
export class VersionedResponseInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(VersionBundle) private readonly bundle: VersionBundle,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const schema = this.reflector.get<string | undefined>(VERSIONED_RESPONSE, context.getHandler());
    if (schema === undefined) return next.handle();
    if (!this.bundle.hasSchema(schema)) throw new Error(`@VersionedResponse('${schema}'): no module declares that schema`);
    // Outside the execution API no version was resolved: the newest shape, unchanged.
    const version = resolvedApiVersion(context.switchToHttp().getResponse<Response>()) ?? this.bundle.newest;
    return next.handle().pipe(map((body) => this.bundle.migrate(schema, body, version)));
  }
}
