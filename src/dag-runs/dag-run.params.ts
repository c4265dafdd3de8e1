import { IsPathText } from '../common/http/query-rules';

/** The path of a route that names a dag run (`…/:dag_id/…/:run_id…`), validated by the global pipe. */
export class DagRunParams {
  @IsPathText(250)
  dag_id: string;

  @IsPathText(250)
  run_id: string;
}
