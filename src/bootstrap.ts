import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoRoot } from 'pino';
import { AppModule, type AppModuleOptions } from './app.module';
import { configureHttp } from './common/http/configure-http';
import { ConnectionTracker, connectionCloseWhileDraining } from './common/lifecycle/graceful-shutdown';
import { LifecycleState } from './common/lifecycle/lifecycle.state';
import { createHttpLogger, createRootLogger } from './common/logging/logging';
import { MetricsService } from './common/metrics/metrics.service';
import { setupOpenApi } from './openapi';

export interface CreateAppOptions extends AppModuleOptions {
  /** Where JSON log lines go when no `rootLogger` is given (default stdout); tests capture them. */
  logDestination?: DestinationStream;
}

/**
 * Creates the Nest application with everything `main.ts` serves: the Express set-up, the global
 * filter and pipe (in AppModule) and OpenAPI. Tests call this too, so they exercise what runs.
 */
export async function createApp(options: CreateAppOptions): Promise<INestApplication> {
  const rootLogger: PinoRoot = options.rootLogger ?? createRootLogger(options.config, options.logDestination);
  const app = await NestFactory.create(AppModule.forRoot({ ...options, rootLogger }), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(NestPinoLogger));
  app.get(ConnectionTracker).attach(app.getHttpServer());
  configureHttp(app, options.config, [createHttpLogger(rootLogger), app.get(MetricsService).middleware, connectionCloseWhileDraining(app.get(LifecycleState))]);
  setupOpenApi(app);
  return app;
}
