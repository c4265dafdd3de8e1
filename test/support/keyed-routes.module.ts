import { Controller, Get, Injectable, Module, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { TaskInstanceFrom, type TaskInstanceResolver } from '../../src/common/auth/task-instance-source';
import { TaskInstanceKeyResolver } from '../../src/task-instances/task-instance-key.resolver';
import { TaskInstancesModule } from '../../src/task-instances/task-instances.module';

/**
 * Execution routes mounted only in tests (`startTestApp({ imports: [KeyedRoutesModule] })`) that
 * exercise each way a route can name its task instance, the way a second module would: by key
 * through the resolver `TaskInstancesModule` exports (Airflow's XCom route shape), by a path
 * parameter of its own name, and not at all.
 */
@Controller('execution/test-keyed')
class KeyedRoutesController {
  @Get(':dag_id/:run_id/:task_id/:key')
  @TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })
  byKey(@Req() req: Request, @Param('key') key: string): { token_sub: string | undefined; key: string } {
    return { token_sub: req.token?.sub, key };
  }

  /** The key with `map_index` in the path, not the query: the resolver reads either. */
  @Get('mapped/:dag_id/:run_id/:task_id/:map_index')
  @TaskInstanceFrom({ resolver: TaskInstanceKeyResolver })
  byMappedKey(@Req() req: Request): { token_sub: string | undefined } {
    return { token_sub: req.token?.sub };
  }

  @Get('by-param/:ti/info')
  @TaskInstanceFrom({ param: 'ti' })
  byParam(@Param('ti') ti: string): { ti: string } {
    return { ti };
  }

  /** Names a task instance the way the old rule did, but declares nothing: closed. */
  @Get('undeclared/:task_instance_id')
  undeclared(): { reached: true } {
    return { reached: true };
  }
}

@Module({ imports: [TaskInstancesModule], controllers: [KeyedRoutesController] })
export class KeyedRoutesModule {}

/** A resolver that no module provides: the application must refuse to start. */
@Injectable()
export class UnprovidedResolver implements TaskInstanceResolver {
  async resolve(): Promise<string | undefined> {
    return undefined;
  }
}

@Controller('execution/test-unprovided')
class UnprovidedResolverController {
  @Get(':dag_id')
  @TaskInstanceFrom({ resolver: UnprovidedResolver })
  get(): { reached: true } {
    return { reached: true };
  }
}

@Module({ controllers: [UnprovidedResolverController] })
export class UnprovidedResolverModule {}
