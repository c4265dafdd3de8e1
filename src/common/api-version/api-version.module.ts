import { Global, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ApiVersionMiddleware } from './api-version.middleware';
import { VersionBundle } from './version-bundle';
import { VERSIONED_RESPONSE, VersionedResponseInterceptor } from './versioned-response';

/**
 * Version negotiation for the execution API (`/execution/*`): the middleware resolves the
 * request's `Airflow-API-Version`, `@VersionedResponse` shapes a route's answer to it. The bundle
 * (versions and every module's declared changes) comes from `src/api-versions.ts`.
 */
@Global()
@Module({})
export class ApiVersionModule implements NestModule, OnApplicationBootstrap {
  constructor(
    private readonly bundle: VersionBundle,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  static forRoot(bundle: VersionBundle): DynamicModule {
    return {
      module: ApiVersionModule,
      imports: [DiscoveryModule],
      providers: [{ provide: VersionBundle, useValue: bundle }, ApiVersionMiddleware, VersionedResponseInterceptor],
      exports: [VersionBundle, VersionedResponseInterceptor],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiVersionMiddleware).forRoutes({ path: 'execution/{*path}', method: RequestMethod.ALL });
  }

  /** A `@VersionedResponse` naming a schema no module declares stops the start-up, naming the route. */
  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getControllers()) {
      if (!wrapper.instance || !wrapper.metatype) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const schema = this.reflector.get<string | undefined>(VERSIONED_RESPONSE, prototype[name] as () => unknown);
        if (schema !== undefined && !this.bundle.hasSchema(schema)) {
          throw new Error(`@VersionedResponse('${schema}') on ${wrapper.metatype.name}.${name}: no module declares that schema (src/api-versions.ts)`);
        }
      }
    }
  }
}
