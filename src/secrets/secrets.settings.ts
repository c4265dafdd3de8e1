import { defineModuleSettings, EnvString } from '../config/env-schema';
import { decodeFernetKey } from './fernet';

/** The variables of the encryption at rest (declared as `src/config/env-schema.ts` describes). */
class SecretsEnv {
  /**
   * Airflow's `[core] fernet_key`: one Fernet key, or several separated by commas (the first
   * encrypts, any decrypts: rotation). Empty: values are stored in clear, as Airflow does without a key.
   */
  @EnvString() FERNET_KEY: string = '';
}

/** Settings of the encryption at rest of variables and connections. */
export const SECRETS_SETTINGS = defineModuleSettings({
  name: 'secrets',
  env: SecretsEnv,
  map: (env) => ({
    fernetKeys: env.FERNET_KEY.split(',')
      .map((k) => k.trim())
      .filter((k) => k.length > 0),
  }),
  // The key itself is never echoed: only which one (by position) is wrong.
  check: (settings) =>
    settings.fernetKeys.flatMap((key, i) => {
      try {
        decodeFernetKey(key);
        return [];
      } catch (error) {
        return [`FERNET_KEY: key ${i + 1} ${(error as Error).message}`];
      }
    }),
});

export type SecretsSettings = ReturnType<typeof SECRETS_SETTINGS.of>;
