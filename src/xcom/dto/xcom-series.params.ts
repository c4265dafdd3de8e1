import { IsPathText } from '../../common/http/query-rules';
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
