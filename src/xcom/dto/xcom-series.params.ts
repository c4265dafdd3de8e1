import { Transform } from 'class-transformer';
import { integerText, IsIntegerIn, IsPathText } from '../../common/http/query-rules';
import { XCOM_KEY_MAX_LENGTH } from '../xcom.entity';

/** The series an XCom route's path names: `…/:dag_id/:run_id/:task_id/:key…`. */
export class XComSeriesParams {
  @IsPathText(250)
  dag_id: string;

  @IsPathText(250)
  run_id: string;

  @IsPathText(250)
  task_id: string;

  @IsPathText(XCOM_KEY_MAX_LENGTH)
  key: string;
}

const OFFSET_MESSAGE = 'offset must be an integer number';

/**
 * The path of `…/item/:offset`: the series and a position, any safe integer (negative counts from
 * the end, as Python's index does); anything else is one "offset must be an integer number".
 */
export class XComItemParams extends XComSeriesParams {
  @Transform(integerText(/^-?\d{1,16}$/))
  @IsIntegerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, { notInteger: OFFSET_MESSAGE, below: OFFSET_MESSAGE, above: OFFSET_MESSAGE })
  offset: number;
}
