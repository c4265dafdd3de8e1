import { Global, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ApiVersionMiddleware } from './api-version.middleware';
import { VersionBundle } from './version-bundle';
import { VersionedResponseInterceptor } from './versioned-response';

/**
 * Version negotiation for the execution API (`/execution/*`): the middleware resolves the
 * request's `Airflow-API-Version`, `@VersionedResponse` shapes a route's answer to it. The bundle
 * (versions and every module's declared changes) comes from `src/api-versions.ts`.
 */
@Global()
@Module({})
export class ApiVersionModule implements NestModule {
  static forRoot(bundle: VersionBundle): DynamicModule {
    return {
      module: ApiVersionModule,
      providers: [{ provide: VersionBundle, useValue: bundle }, ApiVersionMiddleware, VersionedResponseInterceptor],
      exports: [VersionBundle, VersionedResponseInterceptor],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiVersionMiddleware).forRoutes({ path: 'execution/{*path}', method: RequestMethod.ALL });
  }
}
