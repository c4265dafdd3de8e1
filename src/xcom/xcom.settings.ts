import { defineModuleSettings, EnvInteger, EnvOneOf } from '../config/env-schema';

/** Whose XComs a task may read: any task's (Airflow's rule), or only its own dag's. */
export const XCOM_READ_SCOPES = ['any_dag', 'same_dag'] as const;
export type XComReadScope = (typeof XCOM_READ_SCOPES)[number];

/** The XCom module's environment variables (declared as `src/config/env-schema.ts` describes). */
class XComEnv {
  /** Largest XCom value accepted, in bytes of the request body (413 above it). Default: HTTP_MAX_BODY_BYTES. */
  @EnvInteger(1, 64 * 1024 * 1024) XCOM_MAX_VALUE_BYTES?: number;
  /** Airflow's `[core] max_map_length`: a larger `mapped_length` is 400 `unmappable_return_value_length`. */
  @EnvInteger(0, 2_147_483_647) XCOM_MAX_MAP_LENGTH: number = 1024;
  /** `any_dag` (Airflow's rule: `xcom_pull(dag_id=…)` across dags works) or `same_dag` (403 `wrong_dag` otherwise). */
  @EnvOneOf(XCOM_READ_SCOPES) XCOM_READ_SCOPE: XComReadScope = 'any_dag';
}

/** The XCom module's settings (environment variables, validated at boot with every other one). */
export const XCOM_SETTINGS = defineModuleSettings({
  name: 'xcom',
  env: XComEnv,
  map: (env, core) => ({
    maxValueBytes: env.XCOM_MAX_VALUE_BYTES ?? core.http.maxBodyBytes,
    maxMapLength: env.XCOM_MAX_MAP_LENGTH,
    readScope: env.XCOM_READ_SCOPE,
  }),
  // Every body passes the HTTP limit first: a larger XCom limit would never apply.
  check: (settings, core) =>
    settings.maxValueBytes > core.http.maxBodyBytes
      ? [`XCOM_MAX_VALUE_BYTES: ${settings.maxValueBytes} is above HTTP_MAX_BODY_BYTES (${core.http.maxBodyBytes}), which every request body must pass first`]
      : [],
});

export type XComSettings = ReturnType<typeof XCOM_SETTINGS.of>;
