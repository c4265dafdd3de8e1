import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiParam, ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/openapi/endpoint.decorator';
import { UnitOfWork } from '../common/unit-of-work/unit-of-work.decorator';
import { PutVariableBody, VariableDto, VariableKeysQuery, VariableKeysResponse } from './dto/variable.dto';
import { VARIABLE_KEY_MAX_LENGTH } from './variable.entity';
import { variableKeyOf } from './variable-access';
import { VariableProblemDto } from './variables.problems';
import { VariablesService } from './variables.service';

const KEY = ApiParam({
  name: 'key',
  schema: { type: 'string', minLength: 1, maxLength: VARIABLE_KEY_MAX_LENGTH, example: 'landing_path' },
  description: 'May contain `/`.',
});
const INVALID = {
  status: 422,
  description: 'Invalid key or body.',
  examples: [{ reason: 'validation_error', detail: 'The request is not valid.', errors: [{ path: 'value', message: 'value is required' }] }],
};

/**
 * Control plane (admin token): an operator seeds and inspects the variables tasks read. Values of
 * keys with a sensitive name are shown as `***` (Airflow's API masks them the same way); the
 * execution route is the only one that returns them in clear, to the task that asks.
 */
@ApiTags('Control plane: variables')
@ApiBearerAuth()
@Controller('api/v1/variables')
export class VariablesAdminController {
  constructor(private readonly variables: VariablesService) {}

  @Get()
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'list_variable_keys',
    summary: 'List variable keys',
    description: 'The keys that start with `prefix` (literally), sorted, paged.',
    success: { status: 200, type: VariableKeysResponse, description: 'A page of keys.' },
    problem: VariableProblemDto,
    errors: [INVALID],
  })
  async list(@Query() query: VariableKeysQuery): Promise<VariableKeysResponse> {
    return this.variables.keys(query.prefix ?? '', query.limit ?? 1000, query.offset ?? 0);
  }

  @Put('*key')
  @KEY
  // An upsert on the key: a repeat leaves the same row.
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'put_admin_variable',
    summary: 'Create or replace a variable',
    description: 'Creates the variable or overwrites its value (and its description, when one is given). Encrypted at rest when FERNET_KEY is set.',
    success: { status: 200, type: VariableDto, description: 'The variable as stored (sensitive values masked).' },
    problem: VariableProblemDto,
    errors: [{ status: 413, description: 'Body too large.' }, { status: 415, description: 'Body is not JSON.' }, INVALID],
  })
  @ApiBody({
    type: PutVariableBody,
    examples: { path: { summary: 'A plain value', value: { value: 's3://warehouse/landing', description: 'Where extract writes' } } },
  })
  async put(@Param() params: Record<string, unknown>, @Body() body: PutVariableBody): Promise<VariableDto> {
    const key = variableKeyOf(params);
    return this.variables.view(await this.variables.set(key, body.value, body.description));
  }

  @Get('*key')
  @KEY
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'get_admin_variable',
    summary: 'Get a variable',
    description: 'The variable, its value masked when the key names a secret.',
    success: { status: 200, type: VariableDto, description: 'The variable.' },
    problem: VariableProblemDto,
    errors: [
      {
        status: 404,
        description: 'No variable under the key.',
        examples: [{ reason: 'not_found', detail: "Variable with key 'landing_path' not found", key: 'landing_path' }],
      },
      INVALID,
    ],
  })
  async get(@Param() params: Record<string, unknown>): Promise<VariableDto> {
    return this.variables.view(variableKeyOf(params));
  }

  @Delete('*key')
  @KEY
  @UnitOfWork({ idempotent: true })
  @Endpoint({
    operationId: 'delete_admin_variable',
    summary: 'Delete a variable',
    description: 'Deletes the variable; a missing one is a success too.',
    success: { status: 204, description: 'Deleted, or there was nothing to delete.' },
    problem: VariableProblemDto,
    errors: [INVALID],
  })
  async delete(@Param() params: Record<string, unknown>): Promise<void> {
    await this.variables.delete(variableKeyOf(params));
  }
}
