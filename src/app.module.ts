import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, type MiddlewareConsumer, Module, type ModuleMetadata, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { Logger as PinoRoot } from 'pino';
import { HealthModule } from './common/health/health.module';
import { RootController } from './common/http/root.controller';
import { LifecycleModule } from './common/lifecycle/lifecycle.module';
import { createRootLogger } from './common/logging/logging';
import { LoggingModule } from './common/logging/logging.module';
import { MetricsModule } from './common/metrics/metrics.module';
import { AuthModule } from './common/auth/auth.module';
import { ApiVersionModule } from './common/api-version/api-version.module';
import { buildVersionBundle } from './api-versions';
import { ProblemDetailsFilter } from './common/problem/problem-details.filter';
import { createValidationPipe } from './common/problem/validation';
import { UnitOfWorkModule } from './common/unit-of-work/unit-of-work.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { buildOrmOptions } from './database/orm-options';
import { LazyRequestContextMiddleware } from './common/unit-of-work/request-context';
import { FEATURES } from './features';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Extra modules (tests mount deliberately racy routes this way). */
  imports?: ModuleMetadata['imports'];
  /** The process's pino logger; one is made from `config` when absent. */
  rootLogger?: PinoRoot;
}

@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(LazyRequestContextMiddleware).forRoutes({ path: '{*all}', method: RequestMethod.ALL });
  }

  static forRoot(options: AppModuleOptions): DynamicModule {
    const rootLogger = options.rootLogger ?? createRootLogger(options.config);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        MikroOrmModule.forRoot({
          ...buildOrmOptions(options.config, options.databaseUrl, { warn: (m) => rootLogger.warn({ context: 'Database' }, m) }),
          // The request context is ours: lazy, so a route whose database work is all in its unit of
          // work forks one EntityManager per request, not two (src/common/unit-of-work/request-context.ts).
          registerRequestContext: false,
        }),
        UnitOfWorkModule,
        LoggingModule.forRoot(rootLogger),
        LifecycleModule,
        MetricsModule,
        HealthModule,
        AuthModule,
        ApiVersionModule.forRoot(buildVersionBundle()),
        // Every feature's Nest module, from its manifest (src/features.ts): no feature is named here.
        ...FEATURES.flatMap((feature) => (feature.module ? [feature.module] : [])),
        ...(options.imports ?? []),
      ],
      controllers: [RootController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
