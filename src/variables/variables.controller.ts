import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { TaskInstanceFrom } from '../common/auth/task-instance-source';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { VariableKeysQuery, VariableKeysResponse, VariableMessageResponse, VariablePostBody, VariableResponse } from './dto/variable.dto';
import { VARIABLE_KEY_MAX_LENGTH } from './variable.entity';
import { VariableAccess, variableKeyOf } from './variable-access';
import { VARIABLE_SET_MESSAGE, VariableProblemDto } from './variables.problems';
import { VariablesService } from './variables.service';

export const KEY_PARAM = ApiParam({
  name: 'key',
  schema: { type: 'string', minLength: 1, maxLength: VARIABLE_KEY_MAX_LENGTH, example: 'my_key' },
  description: 'May contain `/` (sent as is or as %2F).',
});

const WRONG_SCOPE = {
  reason: 'wrong_scope',
  detail: 'A workload token is not accepted here; this route accepts: execution.',
  token_scope: 'workload',
  accepted_scopes: 'execution',
};
const FORBIDDEN = {
  status: 403,
  description: 'A workload token, or the access policy refuses this variable to the task (Airflow’s multi-team rule; the default allows any task).',
  examples: [{ reason: 'access_denied', detail: 'Task does not have access to variable my_key', key: 'my_key' }, WRONG_SCOPE],
};
const INVALID_KEY = {
  status: 422,
  description: 'The key is empty, longer than 250 characters or holds a control character.',
  examples: [{ reason: 'validation_error', detail: 'The path parameter key is not valid.', errors: [{ path: 'key', message: 'must not be empty' }] }],
};

/**
 * Airflow's variable routes of the execution API (`/execution/variables/{key:path}`), with its
 * bodies, messages and status codes. `keys` is declared before the wildcard routes, which would
 * otherwise read it as a key (a variable named `keys` is then unreachable by GET, as in Airflow).
 */
@ApiTags('Execution API: variables')
@ApiBearerAuth()
@Controller('execution/variables')
// A variable names no task instance: any task token the VariableAccessPolicy allows (by default any).
@TaskInstanceFrom({ resolver: VariableAccess })
// Reads run in a unit of work too (transient failures retried); set and delete are idempotent by nature.
@UnitOfWork({ idempotent: true })
export class VariablesController {
  constructor(private readonly variables: VariablesService) {}

  @Get('keys')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @Endpoint({
    operationId: 'get_variable_keys',
    summary: 'Get Variable Keys',
    description: 'The keys that start with `prefix` (literally), sorted, one page of them, and how many match in all. (Airflow 2026-06-30.)',
    success: { status: 200, type: VariableKeysResponse, description: 'A page of keys.' },
    problem: VariableProblemDto,
    errors: [
      FORBIDDEN,
      {
        status: 422,
        description: 'limit is not an integer from 1 to 10000, or offset is negative.',
        examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'limit', message: 'limit must not be less than 1' }] }],
      },
    ],
  })
  async keys(@Query() query: VariableKeysQuery): Promise<VariableKeysResponse> {
    return this.variables.keys(query.prefix ?? '', query.limit ?? 1000, query.offset ?? 0);
  }

  @Get('*key')
  @UnitOfWork({ idempotent: true, reads: 'replica' })
  @KEY_PARAM
  @Endpoint({
    operationId: 'get_variable',
    summary: 'Get Variable',
    description: 'A variable’s value (decrypted when stored encrypted).',
    success: { status: 200, type: VariableResponse, description: 'The key and its value.' },
    problem: VariableProblemDto,
    errors: [
      FORBIDDEN,
      {
        status: 404,
        description: 'No variable under the key.',
        examples: [{ reason: 'not_found', detail: "Variable with key 'my_key' not found", key: 'my_key' }],
      },
      INVALID_KEY,
    ],
  })
  async get(@Param() params: Record<string, unknown>): Promise<VariableResponse> {
    return this.variables.get(variableKeyOf(params));
  }

  @Put('*key')
  @KEY_PARAM
  @Endpoint({
    operationId: 'put_variable',
    summary: 'Put Variable',
    description:
      'Sets (creates or overwrites) a variable: one atomic upsert, so a repeat or two tasks setting the same key at once all answer 201. The value is encrypted at rest when FERNET_KEY is set.',
    success: { status: 201, type: VariableMessageResponse, description: 'Set (first write and overwrite alike).' },
    problem: VariableProblemDto,
    errors: [
      FORBIDDEN,
      { status: 413, description: 'Body larger than HTTP_MAX_BODY_BYTES.' },
      { status: 415, description: 'Body is not JSON.' },
      {
        status: 422,
        description: 'No `val`, a value that is not a string or null, an unknown field, or an invalid key.',
        examples: [
          { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'val', message: 'val is required' }] },
          { reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'extra', message: 'extra is not allowed' }] },
        ],
      },
    ],
  })
  @ApiBody({
    type: VariablePostBody,
    examples: {
      sdk: { summary: 'As the Task SDK sends it', value: { val: 'my_value', description: 'Set by a task' } },
      json: { summary: 'A JSON value (serialize_json=True)', value: { val: '{"rows": 42}' } },
    },
  })
  async set(@Param() params: Record<string, unknown>, @Body() body: VariablePostBody): Promise<VariableMessageResponse> {
    const key = variableKeyOf(params);
    // One of the two is present (the DTO refuses a body with neither).
    const value = (body.val !== undefined ? body.val : body.value) ?? null;
    await this.variables.set(key, value, body.description);
    return { message: VARIABLE_SET_MESSAGE };
  }

  @Delete('*key')
  @KEY_PARAM
  @Endpoint({
    operationId: 'delete_variable',
    summary: 'Delete Variable',
    description: 'Deletes a variable; a missing one is a success too (204), as in Airflow.',
    success: { status: 204, description: 'Deleted, or there was nothing to delete.' },
    problem: VariableProblemDto,
    errors: [FORBIDDEN, INVALID_KEY],
  })
  async delete(@Param() params: Record<string, unknown>): Promise<void> {
    await this.variables.delete(variableKeyOf(params));
  }
}
