import { IsPathText } from '../../common/http/query-rules';
import { VARIABLE_KEY_MAX_LENGTH } from '../variable.entity';

/** The path of a variable route (`…/*key`, a wildcard: its segments are joined with `/`). */
export class VariableKeyParams {
  @IsPathText(VARIABLE_KEY_MAX_LENGTH)
  key: string;
}
