import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { JSON_VALUE_SCHEMA } from '../../common/json/json-value.schema';
import type { ExactJsonValue } from '../../common/json/exact-json';

/** Airflow's `XComResponse`. */
@ApiSchema({ name: 'XComResponse' })
export class XComResponse {
  @ApiProperty({ example: 'return_value' })
  key: string;

  @ApiProperty({ ...JSON_VALUE_SCHEMA, example: { rows: 42, files: ['a.csv'] }, description: 'The value as it was set (numbers exactly as sent).' })
  value: ExactJsonValue;
}

export class XComMessageResponse {
  @ApiProperty({ example: 'XCom successfully set' })
  message: string;
}
