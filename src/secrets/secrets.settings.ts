import { z } from 'zod';
import { defineModuleSettings } from '../config/env-schema';
import { decodeFernetKey } from './fernet';

/** Settings of the encryption at rest of variables and connections. */
export const SECRETS_SETTINGS = defineModuleSettings({
  name: 'secrets',
  shape: {
    /**
     * Airflow's `[core] fernet_key`: one Fernet key, or several separated by commas (the first
     * encrypts, any decrypts: rotation). Empty: values are stored in clear, as Airflow does without a key.
     */
    FERNET_KEY: z.string().prefault(''),
  },
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
