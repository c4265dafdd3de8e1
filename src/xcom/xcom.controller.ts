import { applyDecorators, Body, Controller, Delete, Get, Head, Header, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { JSON_VALUE_SCHEMA } from '../common/json/json-value.schema';
import type { ExactJsonValue } from '../common/json/exact-json';
import { ApiProblemResponse } from '../common/openapi/api-problem-response';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { XComItemParams } from './dto/xcom-series.params';
import { MapIndexQuery, XComGetQuery, XComSetQuery, XComSliceQuery } from './dto/xcom-query.dto';
import { XComValueBody } from './dto/xcom-value.dto';
import { XComMessageResponse, XComResponse } from './dto/xcom-response.dto';
import { XCOM_KEY_MAX_LENGTH } from './xcom.entity';
import { XCOM_PROBLEMS, XComProblemDto, XCOM_WRITTEN_MESSAGE, xcomDeletedMessage } from './xcom.problems';
import { XComAccess } from './xcom-access';
import { seriesOf } from './xcom-params';
import { XComService } from './xcom.service';
import { XCOM_SETTINGS, type XComSettings } from './xcom.settings';

/** Path parameters of every XCom route, documented once. `key` may contain `/` (Airflow's `{key:path}`). */
function SeriesParams(): MethodDecorator {
  return applyDecorators(
    ApiParam({ name: 'dag_id', schema: { type: 'string', maxLength: 250, example: 'example_dag' } }),
    ApiParam({ name: 'run_id', schema: { type: 'string', maxLength: 250, example: 'manual__2026-11-25' } }),
    ApiParam({ name: 'task_id', schema: { type: 'string', maxLength: 250, example: 'extract' } }),
    ApiParam({
      name: 'key',
      schema: { type: 'string', minLength: 1, maxLength: XCOM_KEY_MAX_LENGTH, example: 'return_value' },
      description: 'May contain `/` (sent as is or as %2F).',
    }),
  );
}

const NOT_FOUND_EXAMPLE = {
  reason: 'not_found',
  detail: 'XCom with key="return_value" map_index=-1 not found for task "extract" in DAG run "manual__2026-11-25" of "example_dag"',
  key: 'return_value',
  map_index: -1,
};
const WRONG_SCOPE = {
  reason: 'wrong_scope',
  detail: 'A workload token is not accepted here; this route accepts: execution.',
  token_scope: 'workload',
  accepted_scopes: 'execution',
};
const WRITE_FORBIDDEN = {
  status: 403,
  description: 'The token is not the execution token of the task instance the path and map_index name.',
  examples: [{ reason: 'wrong_task_instance', detail: 'The token was issued for another task instance.' }, WRONG_SCOPE],
};
const READ_FORBIDDEN = {
  status: 403,
  description: 'The token is not an execution token of a live task instance, or (with XCOM_READ_SCOPE=same_dag) of one of this dag.',
  examples: [
    {
      reason: 'wrong_dag',
      detail: 'The token was issued for a task instance of another dag; a task reads the XComs of its own dag only.',
      token_dag_id: 'other_dag',
    },
    WRONG_SCOPE,
  ],
};
const GONE = {
  status: 410,
  description: "The token's task instance id belonged to a try that was archived (a stale try): nothing is read or written.",
  examples: [{ reason: 'not_found', detail: 'Task Instance not found, it may have been moved to the Task Instance History table' }],
};
const TOKEN_TI_NOT_FOUND = { reason: 'not_found', detail: 'Task instance 0193… not found.', task_instance_id: '0193…' };
const INVALID_QUERY = {
  status: 422,
  description: 'A path or query parameter is not valid.',
  examples: [
    { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'map_index', message: 'map_index must not be less than -1' }] },
  ],
};

/**
 * Airflow's XCom routes of the execution API (`/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key}`),
 * with its paths, parameters, bodies and success codes. Registration order matters: `…/item/{n}`
 * and `…/slice` come before the plain key route, whose `key` would otherwise swallow them, as
 * FastAPI orders them in Airflow.
 */
@ApiTags('Execution API: XComs')
@ApiBearerAuth()
@Controller('execution/xcoms')
// Writes: the token of the task instance the path and map_index name; reads: a token of any live task instance (XComAccessPolicy).
@TaskInstanceFrom({ resolver: XComAccess })
// Reads run in a unit of work too (transient failures retried, lock waits bounded); the writes
// declare their own policy below.
@UnitOfWork({ idempotent: true })
export class XComController {
  constructor(
    private readonly xcoms: XComService,
    @Inject(XCOM_SETTINGS.token) private readonly settings: XComSettings,
  ) {}

  @Get(':dag_id/:run_id/:task_id/*key/item/:offset')
  @SeriesParams()
  @Endpoint({
    operationId: 'get_mapped_xcom_by_index',
    summary: 'Get Mapped XCom By Index',
    description: 'One value of a mapped task by its position in map-index order (negative counts from the end); the bare JSON value.',
    success: { status: 200, description: 'The value.' },
    problem: XComProblemDto,
    errors: [
      READ_FORBIDDEN,
      {
        status: 404,
        description: 'No value at that position, or the token names no task instance.',
        examples: [{ ...NOT_FOUND_EXAMPLE, map_index: undefined, offset: 3 }, TOKEN_TI_NOT_FOUND],
      },
      GONE,
      INVALID_QUERY,
    ],
  })
  @ApiOkResponse({ description: 'The value.', schema: { ...JSON_VALUE_SCHEMA, example: 'value of map index 3' } })
  @ApiParam({ name: 'offset', schema: { type: 'integer', example: 0 } })
  // The bare value is the body: serialised here, since Nest sends a returned string as text/html
  // and a returned null as an empty body.
  @Header('Content-Type', 'application/json; charset=utf-8')
  async item(@Param() { dag_id: dagId, run_id: runId, task_id: taskId, key, offset }: XComItemParams): Promise<string> {
    return JSON.stringify(await this.xcoms.item({ dagId, runId, taskId, key }, offset));
  }

  @Get(':dag_id/:run_id/:task_id/*key/slice')
  @SeriesParams()
  @Endpoint({
    operationId: 'get_mapped_xcom_by_slice',
    summary: 'Get Mapped XCom By Slice',
    description:
      "Values of a mapped task, `values[start:stop:step]` over map-index order with Python's slice semantics (negative bounds and steps included; a step of 0 is refused as Python refuses it).",
    success: { status: 200, description: 'The values, possibly none.' },
    problem: XComProblemDto,
    errors: [READ_FORBIDDEN, { status: 404, description: 'The token names no task instance.', examples: [TOKEN_TI_NOT_FOUND] }, GONE, INVALID_QUERY],
  })
  @ApiOkResponse({ description: 'The values.', schema: { type: 'array', items: JSON_VALUE_SCHEMA, example: ['a', 'b', 'c'] } })
  async slice(@Param() params: Record<string, unknown>, @Query() query: XComSliceQuery): Promise<ExactJsonValue[]> {
    return this.xcoms.slice(seriesOf(params), {
      start: query.start,
      stop: query.stop,
      step: query.step,
      includePriorDates: query.include_prior_dates ?? false,
    });
  }

  @Head(':dag_id/:run_id/:task_id/*key')
  @SeriesParams()
  @ApiOperation({
    operationId: 'head_xcom',
    summary: 'Head Xcom',
    description: 'How many (mapped) values the task holds under the key, in `Content-Range: map_indexes <count>`.',
  })
  @ApiResponse({
    status: 200,
    description: 'The count, in the Content-Range header.',
    headers: {
      'Content-Range': {
        description: 'The number of (mapped) XCom values found for this task.',
        schema: { type: 'string', pattern: '^map_indexes \\d+$', example: 'map_indexes 3' },
      },
    },
  })
  @ApiProblemResponse(
    400,
    'map_index was given (a HEAD counts every map index).',
    [{ reason: 'invalid_request', detail: 'Cannot specify map_index in a HEAD request' }],
    XComProblemDto,
  )
  @ApiProblemResponse(READ_FORBIDDEN.status, READ_FORBIDDEN.description, READ_FORBIDDEN.examples, XComProblemDto)
  @ApiProblemResponse(404, 'The token names no task instance.', [TOKEN_TI_NOT_FOUND], XComProblemDto)
  @ApiProblemResponse(GONE.status, GONE.description, GONE.examples, XComProblemDto)
  @ApiProblemResponse(INVALID_QUERY.status, INVALID_QUERY.description, INVALID_QUERY.examples, XComProblemDto)
  async head(@Res({ passthrough: true }) res: Response, @Param() params: Record<string, unknown>, @Query() query: MapIndexQuery): Promise<void> {
    if (query.map_index !== undefined) {
      throw XCOM_PROBLEMS.error('xcom_invalid_request', 'Cannot specify map_index in a HEAD request', 'invalid_request');
    }
    const count = await this.xcoms.count(seriesOf(params));
    res.setHeader('Content-Range', `map_indexes ${count}`);
  }

  @Get(':dag_id/:run_id/:task_id/*key')
  @SeriesParams()
  @Endpoint({
    operationId: 'get_xcom',
    summary: 'Get Xcom',
    description:
      'One value: at `map_index` (default -1), or with `offset` the offset-th non-null value by map index (negative counts from the end). `include_prior_dates` also looks in earlier runs of the dag, newest first.',
    success: { status: 200, type: XComResponse, description: 'The key and its value.' },
    problem: XComProblemDto,
    errors: [
      READ_FORBIDDEN,
      { status: 404, description: 'No such XCom, or the token names no task instance.', examples: [NOT_FOUND_EXAMPLE, TOKEN_TI_NOT_FOUND] },
      GONE,
      INVALID_QUERY,
    ],
  })
  async get(@Param() params: Record<string, unknown>, @Query() query: XComGetQuery): Promise<XComResponse> {
    const s = seriesOf(params);
    const value = await this.xcoms.get(s, { mapIndex: query.map_index ?? -1, includePriorDates: query.include_prior_dates ?? false, offset: query.offset });
    return { key: s.key, value };
  }

  @Post(':dag_id/:run_id/:task_id/*key')
  @SeriesParams()
  // Setting a key twice has the effect of setting it once: overlapping or retried writes all
  // answer 201 (one INSERT … ON CONFLICT DO UPDATE; a unique violation, if any, is retried).
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'set_xcom',
    summary: 'Set Xcom',
    description:
      "Sets (overwrites) the value of a key for the task instance the path and `map_index` name, which must be the token's. The body is any JSON value, stored as sent (numbers exactly). With `mapped_length`, also records how many mapped task instances the value expands into. Idempotent: overlapping or repeated writes all answer 201.",
    success: { status: 201, type: XComMessageResponse, description: 'Stored (first write and overwrite alike).' },
    problem: XComProblemDto,
    errors: [
      {
        status: 400,
        description: "mapped_length above XCOM_MAX_MAP_LENGTH (Airflow's [core] max_map_length).",
        examples: [{ reason: 'unmappable_return_value_length', detail: "pushed value is too large to map as a downstream's dependency", max_map_length: 1024 }],
      },
      WRITE_FORBIDDEN,
      { status: 404, description: 'The token names no task instance (or it was deleted while the write ran).', examples: [TOKEN_TI_NOT_FOUND] },
      { ...GONE, description: "The token's task instance id belonged to a try that was archived: a late write from a stale try. Nothing is written." },
      {
        status: 413,
        description: 'Value larger than XCOM_MAX_VALUE_BYTES (or the body larger than HTTP_MAX_BODY_BYTES).',
        examples: [{ reason: 'payload_too_large', detail: 'The XCom value is larger than the limit of 1048576 bytes.', limit_bytes: 1048576 }],
      },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'A parameter is not valid; no body, malformed JSON, too deep, or a string with U+0000.',
        examples: [
          {
            reason: 'validation_error',
            detail: 'The request body must be a JSON value.',
            errors: [{ path: '', message: 'must be a JSON value, got no body' }],
          },
          { reason: 'invalid_json', detail: 'The request body is not valid JSON.' },
        ],
      },
    ],
  })
  @ApiBody({
    description: 'The value: any JSON (object, array, string, number, boolean, null).',
    required: true,
    schema: JSON_VALUE_SCHEMA,
    examples: {
      object: { summary: 'Object', value: { rows: 42, files: ['a.csv', 'b.csv'] } },
      string: { summary: 'String', value: 'value1' },
      list: { summary: 'List', value: ['value1'] },
    },
  })
  async set(
    @Req() req: Request,
    @Param() params: Record<string, unknown>,
    @Query() query: XComSetQuery,
    @Body() { value }: XComValueBody,
  ): Promise<XComMessageResponse> {
    const bytes = req.rawBody?.length ?? 0;
    if (bytes > this.settings.maxValueBytes) {
      throw XCOM_PROBLEMS.error(
        'xcom_value_too_large',
        `The XCom value is larger than the limit of ${this.settings.maxValueBytes} bytes.`,
        'payload_too_large',
        {
          limit_bytes: this.settings.maxValueBytes,
        },
      );
    }
    await this.xcoms.set(req.token!, { ...seriesOf(params), mapIndex: query.map_index ?? -1 }, value, query.mapped_length);
    return { message: XCOM_WRITTEN_MESSAGE };
  }

  @Delete(':dag_id/:run_id/:task_id/*key')
  @SeriesParams()
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'delete_xcom',
    summary: 'Delete Xcom',
    description: "Deletes one value of the token's task instance (`map_index`, default -1). Deleting a missing value is a success, as in Airflow.",
    success: { status: 200, type: XComMessageResponse, description: 'Deleted, or there was nothing to delete.' },
    problem: XComProblemDto,
    errors: [WRITE_FORBIDDEN, { status: 404, description: 'The token names no task instance.', examples: [TOKEN_TI_NOT_FOUND] }, GONE, INVALID_QUERY],
  })
  async delete(@Req() req: Request, @Param() params: Record<string, unknown>, @Query() query: MapIndexQuery): Promise<XComMessageResponse> {
    const s = seriesOf(params);
    await this.xcoms.delete(req.token!, { ...s, mapIndex: query.map_index ?? -1 });
    return { message: xcomDeletedMessage(s.key) };
  }
}
