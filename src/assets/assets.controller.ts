import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { TaskInstanceIdParams } from '../task-instances/task-instance-id.params';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { MOVED_TO_HISTORY_MESSAGE } from '../task-instances/task-instances.errors';
import { TaskInstanceProblemDto } from '../task-instances/task-instance-problem.dto';
import { AssetsService } from './assets.service';
import { AssetDto, InactiveAssetsResponse, RegisterAssetDto } from './dto/asset.dto';

const ID = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';

/** Control plane: what a scheduler registers when it parses the dags that use an asset. */
@ApiTags('Control plane: assets')
@ApiBearerAuth()
@Controller('api/v1/assets')
export class AssetsController {
  constructor(private readonly assets: AssetsService) {}

  @Put()
  // Idempotent: an upsert on (name, uri); a repeat leaves the same row.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'register_asset',
    summary: 'Register an asset',
    description:
      'Creates the asset (unique by name and uri), or updates its group, extra and active flag. A task whose declared inlets or outlets are not registered and active gets them back from `GET /execution/task-instances/{id}/validate-inlets-and-outlets`.',
    success: { status: 200, type: AssetDto, description: 'The asset as stored.' },
    errors: [
      { status: 413, description: 'Body too large.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'Invalid body.',
        examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'uri', message: 'uri is required' }] }],
      },
    ],
  })
  @ApiBody({
    type: RegisterAssetDto,
    examples: { active: { summary: 'An active asset', value: { name: 'orders', uri: 's3://warehouse/orders', group: 'asset', extra: {} } } },
  })
  async register(@Body() dto: RegisterAssetDto): Promise<AssetDto> {
    return AssetDto.from(await this.assets.register(dto));
  }
}

/** Execution API: the check a task makes of its inlets and outlets before it executes. */
@ApiTags('Execution API: task instances')
@ApiBearerAuth()
@Controller('execution/task-instances')
@TaskInstanceFrom({ param: 'task_instance_id' })
export class InletsOutletsController {
  constructor(private readonly assets: AssetsService) {}

  @Get(':task_instance_id/validate-inlets-and-outlets')
  // A read; in a unit of work so a transient failure is retried like on the other routes.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    problem: TaskInstanceProblemDto,
    operationId: 'validate_inlets_and_outlets',
    summary: 'Validate the inlets and outlets of a task instance',
    description:
      'The assets the task instance declares as inlets or outlets (given when it was created) that are not registered and active (`PUT /api/v1/assets`), as `{name, uri, type: "Asset"}`. An asset with the same name and another uri is another asset. Empty when every declared asset is active, or none is declared.',
    success: { status: 200, type: InactiveAssetsResponse, description: 'The inactive declared assets.' },
    errors: [
      {
        status: 404,
        description: 'The id never belonged to a task instance.',
        examples: [{ reason: 'not_found', detail: `Task instance ${ID} not found.`, task_instance_id: ID }],
      },
      {
        status: 410,
        description: 'The id belonged to an archived try.',
        examples: [{ reason: 'not_found', detail: MOVED_TO_HISTORY_MESSAGE, task_instance_id: ID }],
      },
      { status: 422, description: 'The path id is not a UUID.', examples: [{ reason: 'validation_error', detail: 'The path parameter is not a valid UUID.' }] },
    ],
  })
  async validate(@Param() { task_instance_id: id }: TaskInstanceIdParams): Promise<InactiveAssetsResponse> {
    return { inactive_assets: await this.assets.inactiveAssets(id) };
  }
}
