import { Inject, Injectable } from '@nestjs/common';
import { MultiFernet } from './fernet';
import { SECRETS_SETTINGS, type SecretsSettings } from './secrets.settings';

/** A value as stored: the text of the column, and whether it is a Fernet token (Airflow's `is_encrypted`). */
export interface StoredSecret {
  text: string;
  encrypted: boolean;
}

/** Stored encrypted under a key this process does not have: a configuration fault, never the client's. */
export class SecretKeyMissingError extends Error {
  override readonly name = 'SecretKeyMissingError';
  constructor() {
    super('A value is stored encrypted but FERNET_KEY is empty, or holds none of the keys that encrypted it.');
  }
}

/**
 * Encryption at rest of variable values and connection passwords and extras, as Airflow's
 * `get_fernet()`: with FERNET_KEY set, values are written as Fernet tokens of its first key and
 * read with any of its keys; without, written in clear (`encrypted: false`), and an encrypted value
 * cannot be read (500, logged by name only).
 */
@Injectable()
export class SecretCipher {
  private readonly fernet: MultiFernet | undefined;

  constructor(@Inject(SECRETS_SETTINGS.token) settings: SecretsSettings) {
    this.fernet = settings.fernetKeys.length > 0 ? new MultiFernet(settings.fernetKeys) : undefined;
  }

  seal(value: string): StoredSecret {
    return this.fernet ? { text: this.fernet.encrypt(value), encrypted: true } : { text: value, encrypted: false };
  }

  open(stored: StoredSecret): string {
    if (!stored.encrypted) return stored.text;
    if (!this.fernet) throw new SecretKeyMissingError();
    try {
      return this.fernet.decrypt(stored.text);
    } catch {
      throw new SecretKeyMissingError();
    }
  }
}
