import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/** The problem codes the assets module owns, and their statuses (Airflow's, reasons and messages included). */
export const ASSET_PROBLEMS = defineProblemCodes('assets', ProblemDto, {
  /** No active asset by that name or uri: Airflow's 404 `not_found`. */
  asset_not_found: 404,
  /** An outlet event's `partition_key` blank or longer than 250: Airflow's 422 `invalid_partition_key`. */
  invalid_partition_key: 422,
  /** `by-asset` with neither name nor uri: Airflow's 400 `Missing parameter`. */
  asset_event_missing_parameter: 400,
  /** Both `partition_key` and `partition_key_pattern`: Airflow's 400 `Mutually exclusive parameters`. */
  asset_event_exclusive_parameters: 400,
  /** A `partition_key_pattern` PostgreSQL cannot compile, or too long: Airflow's 400 `Invalid regex`. */
  asset_event_invalid_regex: 400,
});

export const assetNotFound = (by: 'name' | 'URI', value: string) => ASSET_PROBLEMS.error('asset_not_found', `Asset with ${by} ${value} not found`, 'not_found');

export const invalidPartitionKey = () =>
  ASSET_PROBLEMS.error('invalid_partition_key', 'partition_key must be a non-blank string of at most 250 characters', 'invalid_partition_key');

export const missingAssetParameter = () => ASSET_PROBLEMS.error('asset_event_missing_parameter', 'name and uri cannot both be None', 'Missing parameter');

export const exclusivePartitionFilters = () =>
  ASSET_PROBLEMS.error(
    'asset_event_exclusive_parameters',
    'partition_key and partition_key_pattern cannot both be provided. Use partition_key for exact match or partition_key_pattern for regex filtering.',
    'Mutually exclusive parameters',
  );

/** Airflow's `MAX_REGEX_PATTERN_LENGTH`. */
export const MAX_REGEX_PATTERN_LENGTH = 1000;

export const invalidRegex = (why: 'too_long' | 'invalid') =>
  ASSET_PROBLEMS.error(
    'asset_event_invalid_regex',
    why === 'too_long'
      ? `The partition_key_pattern is too long (max ${MAX_REGEX_PATTERN_LENGTH} characters).`
      : 'The partition_key_pattern is not a valid regular expression.',
    'Invalid regex',
  );
