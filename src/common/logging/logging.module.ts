import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoRoot } from 'pino';

/**
 * Routes Nest's `Logger` (used by `UnitOfWorkRunner`, `ProblemDetailsFilter`, Nest itself) to
 * pino. The request logger is installed by `createApp` at the Express level, before body parsing,
 * so requests refused by the parser get their line too (`useExisting`); this module only binds each
 * request's child logger (carrying its correlation id) for the lines written while it runs.
 */
@Module({})
export class LoggingModule {
  static forRoot(root: PinoRoot): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { logger: root },
          useExisting: true,
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
      ],
    };
  }
}
