import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { validateRequestPart } from '../problem/validation';
import { ApiVersionHeaders } from './api-version.headers';
import { API_VERSION_PROBLEMS } from './api-version.problems';
import { API_VERSION_HEADER, setResolvedApiVersion } from './api-version.header';
import { isIsoDate, VersionBundle } from './version-bundle';

/**
 * Resolves `Airflow-API-Version` once per execution-API request, as Cadwyn's middleware does, before
 * authentication (Cadwyn routes by version before any dependency runs): the version is kept for the
 * response serializer (`@VersionedResponse`) and echoed in the response header. A version no route
 * serves is 404, a malformed one 422 (see `VersionResolution`). One header read and a set lookup:
 * routes that declare no versioned schema pay nothing else.
 */
@Injectable()
export class ApiVersionMiddleware implements NestMiddleware {
  constructor(@Inject(VersionBundle) private readonly bundle: VersionBundle) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const resolution = this.bundle.resolve(req.get(API_VERSION_HEADER));
    switch (resolution.kind) {
      case 'served':
        setResolvedApiVersion(res, resolution.version);
        res.setHeader(API_VERSION_HEADER, resolution.version);
        return next();
      case 'malformed':
        // Cadwyn picked a version by string order (echoed); the route's `date` header then fails
        // validation (422). The value is not repeated: it is whatever the client put there.
        res.setHeader(API_VERSION_HEADER, resolution.version);
        validateRequestPart(ApiVersionHeaders, { [API_VERSION_HEADER]: req.get(API_VERSION_HEADER) }, 'header');
        // The bundle calls a value malformed by the rule the DTO checks (`isIsoDate`).
        throw new Error(`${API_VERSION_HEADER}: the bundle found the header malformed, its DTO did not`);
      case 'before_first':
        // Cadwyn echoes what was asked; only a well-formed date is repeated here.
        if (isIsoDate(resolution.requested)) res.setHeader(API_VERSION_HEADER, resolution.requested);
        throw API_VERSION_PROBLEMS.error(
          'api_version_not_served',
          `No route serves an ${API_VERSION_HEADER} before ${this.bundle.versions[0]}, the oldest version of this service.`,
          'not_found',
          { oldest_version: this.bundle.versions[0] },
        );
      default: {
        const never: never = resolution;
        throw new Error(`unhandled version resolution ${JSON.stringify(never)}`);
      }
    }
  }
}
