import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule, type AppModuleOptions } from './app.module';
import { configureHttp } from './common/http/configure-http';
import { setupOpenApi } from './openapi';

/**
 * Creates the Nest application with everything `main.ts` serves: the Express set-up, the global
 * filter and pipe (in AppModule) and OpenAPI. Tests call this too, so they exercise what runs.
 */
export async function createApp(options: AppModuleOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    bodyParser: false,
    logger: new Logger(),
    abortOnError: false,
  });
  configureHttp(app, options.config);
  setupOpenApi(app);
  return app;
}
