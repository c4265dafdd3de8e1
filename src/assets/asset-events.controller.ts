import { applyDecorators, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork, ReadUnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { IdempotencyKey } from '../common/idempotency-keys/idempotency-key.decorator';
import { AnyTaskInstanceToken } from '../task-instances/any-task-instance-token';
import { AssetEventsService, type AssetEventFilter } from './asset-events.service';
import {
  AssetByAliasQuery,
  AssetByNameQuery,
  AssetByUriQuery,
  AssetEventDto,
  AssetEventsByAliasQuery,
  AssetEventsByAssetQuery,
  AssetEventsResponse,
  AssetResponse,
  CreateAssetEventDto,
} from './dto/asset-event.dto';

const INVALID_QUERY = {
  status: 422,
  description: 'A query parameter is missing or not valid.',
  examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'name', message: 'name must be a string' }] }],
};
const BAD_FILTERS = {
  status: 400,
  description: 'Both partition filters, or a partition_key_pattern that is too long or not a valid regular expression.',
  examples: [
    {
      reason: 'Mutually exclusive parameters',
      detail:
        'partition_key and partition_key_pattern cannot both be provided. Use partition_key for exact match or partition_key_pattern for regex filtering.',
    },
    { reason: 'Invalid regex', detail: 'The partition_key_pattern is not a valid regular expression.' },
  ],
};

/**
 * A query parameter with a named example at the parameter itself: `@nestjs/swagger` moves a DTO
 * property's `example` into the parameter's schema, and the walk-through (like Swagger UI's "Try
 * it out") fills a parameter from its own examples.
 */
const exampleQuery = (name: string, example: string, required: boolean, description: string) =>
  ApiQuery({ name, required, description, schema: { type: 'string' }, examples: { [name]: { value: example } } });
const ApiAssetKeyQuery = () =>
  applyDecorators(
    exampleQuery('name', 'orders', false, 'The asset name. With uri: that asset; alone: active assets of that name.'),
    exampleQuery('uri', 's3://warehouse/orders', false, 'The asset uri. With name: that asset; alone: active assets with that uri.'),
  );

function filterOf(q: AssetEventsByAssetQuery | AssetEventsByAliasQuery): AssetEventFilter {
  return {
    after: q.after !== undefined ? new Date(q.after) : undefined,
    before: q.before !== undefined ? new Date(q.before) : undefined,
    ascending: q.ascending ?? true,
    limit: q.limit,
    partitionKey: q.partition_key,
    partitionKeyPattern: q.partition_key_pattern,
    extra: (q.extra ?? []).map((kv) => {
      const at = kv.indexOf('=');
      return [kv.slice(0, at), kv.slice(at + 1)] as [string, string];
    }),
  };
}

/**
 * Execution API: the assets a task looks up (Airflow's `routes/assets.py`). They name no task
 * instance, so any execution token may call them (Airflow serves them without `ti:self`).
 */
@ApiTags('Execution API: assets')
@ApiBearerAuth()
@Controller('execution/assets')
@TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
export class ExecutionAssetsController {
  constructor(private readonly events: AssetEventsService) {}

  @Get('by-name')
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'get_asset_by_name',
    summary: 'Get an active asset by name',
    success: { status: 200, type: AssetResponse, description: 'The asset.' },
    errors: [
      { status: 404, description: 'No active asset has that name.', examples: [{ reason: 'not_found', detail: 'Asset with name orders not found' }] },
      INVALID_QUERY,
    ],
  })
  @exampleQuery('name', 'orders', true, 'The asset name.')
  async byName(@Query() q: AssetByNameQuery): Promise<AssetResponse> {
    return this.events.byName(q.name);
  }

  @Get('by-uri')
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'get_asset_by_uri',
    summary: 'Get an active asset by uri',
    success: { status: 200, type: AssetResponse, description: 'The asset.' },
    errors: [
      {
        status: 404,
        description: 'No active asset has that uri.',
        examples: [{ reason: 'not_found', detail: 'Asset with URI s3://warehouse/orders not found' }],
      },
      INVALID_QUERY,
    ],
  })
  @exampleQuery('uri', 's3://warehouse/orders', true, 'The asset uri.')
  async byUri(@Query() q: AssetByUriQuery): Promise<AssetResponse> {
    return this.events.byUri(q.uri);
  }

  @Get('by-alias')
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'get_assets_by_alias',
    summary: 'Get the assets an alias resolved to',
    description: 'Assets that events were emitted to through the alias (API 2026-06-30). Empty for an unknown alias.',
    success: { status: 200, description: 'The assets, in registration order.' },
    errors: [INVALID_QUERY],
  })
  @ApiExtraModels(AssetResponse)
  @ApiOkResponse({ description: 'The assets.', schema: { type: 'array', items: { $ref: getSchemaPath(AssetResponse) } } })
  @exampleQuery('alias_name', 'daily_exports', true, 'The alias name.')
  async byAlias(@Query() q: AssetByAliasQuery): Promise<AssetResponse[]> {
    return this.events.byAlias(q.alias_name);
  }
}

/** Execution API: the asset events a task reads (Airflow's `routes/asset_events.py`); any execution token. */
@ApiTags('Execution API: assets')
@ApiBearerAuth()
@Controller('execution/asset-events')
@TaskInstanceFrom({ resolver: AnyTaskInstanceToken })
export class ExecutionAssetEventsController {
  constructor(private readonly events: AssetEventsService) {}

  @Get('by-asset')
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'get_asset_event_by_asset_name_uri',
    summary: 'Get the events of an asset',
    description:
      'By name and uri (that asset), or by one of them (active assets). Oldest first unless `ascending=false`; `after`/`before` inclusive; `limit` keeps the first events in that order; repeated `extra=k=v` filters AND together. The pattern runs in PostgreSQL under the read’s statement timeout.',
    success: { status: 200, type: AssetEventsResponse, description: 'The events.' },
    errors: [
      {
        status: 400,
        description: 'Neither name nor uri; both partition filters; or an invalid partition_key_pattern.',
        examples: [{ reason: 'Missing parameter', detail: 'name and uri cannot both be None' }, ...BAD_FILTERS.examples],
      },
      INVALID_QUERY,
    ],
  })
  @ApiAssetKeyQuery()
  async byAsset(@Query() q: AssetEventsByAssetQuery): Promise<AssetEventsResponse> {
    return { asset_events: await this.events.eventsByAsset(q.name, q.uri, filterOf(q)) };
  }

  @Get('by-asset-alias')
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'get_asset_event_by_asset_alias',
    summary: 'Get the events emitted through an asset alias',
    description: 'Same filters and order as by-asset.',
    success: { status: 200, type: AssetEventsResponse, description: 'The events.' },
    errors: [BAD_FILTERS, INVALID_QUERY],
  })
  @exampleQuery('name', 'daily_exports', true, 'The alias name.')
  async byAlias(@Query() q: AssetEventsByAliasQuery): Promise<AssetEventsResponse> {
    return { asset_events: await this.events.eventsByAlias(q.name, filterOf(q)) };
  }
}

/** Control plane: seed and inspect asset events. */
@ApiTags('Control plane: assets')
@ApiBearerAuth()
@Controller('api/v1/asset-events')
export class AssetEventsAdminController {
  constructor(private readonly events: AssetEventsService) {}

  @Post()
  @HttpCode(201)
  // Each call is one more event: not idempotent by nature, so a retry needs the Idempotency-Key.
  @UnitOfWork({ idempotent: false })
  @IdempotencyKey('optional')
  @Endpoint({
    operationId: 'create_asset_event',
    summary: 'Seed an asset event',
    description:
      'Records an event for a registered asset (`PUT /api/v1/assets`), as an operator or an external system would; optionally as emitted through aliases (created when missing). Send an `Idempotency-Key` to make a retry safe.',
    success: { status: 201, type: AssetEventDto, description: 'The event as stored.' },
    errors: [
      { status: 404, description: 'No asset with that name and uri.', examples: [{ reason: 'not_found', detail: 'Asset with name orders not found' }] },
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
    type: CreateAssetEventDto,
    examples: { seed: { summary: 'An event of the walk-through asset', value: { name: 'orders', uri: 's3://warehouse/orders', extra: { source: 'api' } } } },
  })
  async create(@Body() dto: CreateAssetEventDto): Promise<AssetEventDto> {
    return this.events.seed({ name: dto.name, uri: dto.uri, extra: dto.extra, partitionKey: dto.partition_key, aliases: dto.source_alias_names });
  }

  @Get()
  @ReadUnitOfWork()
  @Endpoint({
    operationId: 'list_asset_events',
    summary: 'List the events of an asset',
    description: 'What `GET /execution/asset-events/by-asset` answers a task, for an operator.',
    success: { status: 200, type: AssetEventsResponse, description: 'The events.' },
    errors: [
      {
        status: 400,
        description: 'Neither name nor uri; both partition filters; or an invalid partition_key_pattern.',
        examples: [{ reason: 'Missing parameter', detail: 'name and uri cannot both be None' }, ...BAD_FILTERS.examples],
      },
      INVALID_QUERY,
    ],
  })
  @ApiAssetKeyQuery()
  async list(@Query() q: AssetEventsByAssetQuery): Promise<AssetEventsResponse> {
    return { asset_events: await this.events.eventsByAsset(q.name, q.uri, filterOf(q)) };
  }
}
