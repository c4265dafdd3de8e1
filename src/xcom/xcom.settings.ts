import { defineModuleSettings, integer } from '../config/env-schema';

/** The XCom module's settings (environment variables, validated at boot with every other one). */
export const XCOM_SETTINGS = defineModuleSettings({
  name: 'xcom',
  shape: {
    /** Largest XCom value accepted, in bytes of the request body (413 above it). Default: HTTP_MAX_BODY_BYTES. */
    XCOM_MAX_VALUE_BYTES: integer(1, 64 * 1024 * 1024).optional(),
    /** Airflow's `[core] max_map_length`: a larger `mapped_length` is 400 `unmappable_return_value_length`. */
    XCOM_MAX_MAP_LENGTH: integer(0, 2_147_483_647).prefault('1024'),
  },
  map: (env, core) => ({ maxValueBytes: env.XCOM_MAX_VALUE_BYTES ?? core.http.maxBodyBytes, maxMapLength: env.XCOM_MAX_MAP_LENGTH }),
  // Every body passes the HTTP limit first: a larger XCom limit would never apply.
  check: (settings, core) =>
    settings.maxValueBytes > core.http.maxBodyBytes
      ? [`XCOM_MAX_VALUE_BYTES: ${settings.maxValueBytes} is above HTTP_MAX_BODY_BYTES (${core.http.maxBodyBytes}), which every request body must pass first`]
      : [],
});

export type XComSettings = ReturnType<typeof XCOM_SETTINGS.of>;
