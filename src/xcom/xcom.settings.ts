import { z } from 'zod';
import { defineModuleSettings, integer } from '../config/env-schema';

/** Whose XComs a task may read: any task's (Airflow's rule), or only its own dag's. */
export const XCOM_READ_SCOPES = ['any_dag', 'same_dag'] as const;
export type XComReadScope = (typeof XCOM_READ_SCOPES)[number];

/** The XCom module's settings (environment variables, validated at boot with every other one). */
export const XCOM_SETTINGS = defineModuleSettings({
  name: 'xcom',
  shape: {
    /** Largest XCom value accepted, in bytes of the request body (413 above it). Default: HTTP_MAX_BODY_BYTES. */
    XCOM_MAX_VALUE_BYTES: integer(1, 64 * 1024 * 1024).optional(),
    /** Airflow's `[core] max_map_length`: a larger `mapped_length` is 400 `unmappable_return_value_length`. */
    XCOM_MAX_MAP_LENGTH: integer(0, 2_147_483_647).prefault('1024'),
    /** `any_dag` (Airflow's rule: `xcom_pull(dag_id=…)` across dags works) or `same_dag` (403 `wrong_dag` otherwise). */
    XCOM_READ_SCOPE: z.enum(XCOM_READ_SCOPES).prefault('any_dag'),
  },
  map: (env, core) => ({
    maxValueBytes: env.XCOM_MAX_VALUE_BYTES ?? core.http.maxBodyBytes,
    maxMapLength: env.XCOM_MAX_MAP_LENGTH,
    readScope: env.XCOM_READ_SCOPE as XComReadScope,
  }),
  // Every body passes the HTTP limit first: a larger XCom limit would never apply.
  check: (settings, core) =>
    settings.maxValueBytes > core.http.maxBodyBytes
      ? [`XCOM_MAX_VALUE_BYTES: ${settings.maxValueBytes} is above HTTP_MAX_BODY_BYTES (${core.http.maxBodyBytes}), which every request body must pass first`]
      : [],
});

export type XComSettings = ReturnType<typeof XCOM_SETTINGS.of>;
