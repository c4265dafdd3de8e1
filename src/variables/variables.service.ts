import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDACTED } from '../common/json/redaction';
import { SecretCipher } from '../secrets/secret-cipher';
import { VARIABLE_KEY_CONSTRAINT } from './variable.entity';
import { variableNotFound } from './variables.problems';

/** A variable as a task reads it (Airflow's `VariableResponse`). */
export interface VariableValue {
  key: string;
  value: string | null;
}

/** A variable as the control plane shows it. */
export interface VariableView extends VariableValue {
  description: string | null;
  is_encrypted: boolean;
}

/** A `variable` row as selected (the value possibly a Fernet token). */
export interface VariableRow {
  key: string;
  val: string | null;
  description: string | null;
  is_encrypted: boolean;
}

/**
 * Airflow's variables. Writes are one `INSERT … ON CONFLICT DO UPDATE` on the key (a repeat or a
 * race of two sets converges, never a 409); values are sealed with FERNET_KEY on the way in and
 * opened on the way out (`SecretCipher`), and never logged: bodies are not logged at all, and the
 * control plane masks the value of a key with a sensitive name, as Airflow's API does.
 */
@Injectable()
export class VariablesService {
  constructor(
    private readonly em: EntityManager,
    private readonly cipher: SecretCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(key: string): Promise<VariableValue> {
    const row = await this.find(key);
    return { key, value: this.valueOf(row) };
  }

  /**
   * Sets (creates or overwrites) a variable; a `null` value is stored as SQL NULL. Returns the
   * stored row for the control plane's view; the execution route ignores it (no decrypt on a task's write).
   */
  async set(key: string, value: string | null, description: string | null | undefined): Promise<VariableRow> {
    const sealed = value === null ? { text: null, encrypted: false } : this.cipher.seal(value);
    // An omitted description keeps the stored one, as Airflow's `Variable.set(description=None)` does on update.
    const rows = await this.em.execute<VariableRow[]>(
      `insert into variable (key, val, description, is_encrypted, updated_at) values (?, ?, ?, ?, now())
         on conflict on constraint ${VARIABLE_KEY_CONSTRAINT}
         do update set val = excluded.val, is_encrypted = excluded.is_encrypted, updated_at = excluded.updated_at,
                       description = coalesce(excluded.description, variable.description)
       returning key, val, description, is_encrypted`,
      [key, sealed.text, description ?? null, sealed.encrypted],
    );
    return rows[0];
  }

  /** Deletes a variable; a missing one is a success (Airflow's 204 either way). Returns whether one was there. */
  async delete(key: string): Promise<boolean> {
    const rows = await this.em.execute<{ key: string }[]>('delete from variable where key = ? returning key', [key]);
    return rows.length > 0;
  }

  /**
   * The keys that start with `prefix` (literally: `_` and `%` are characters, not wildcards, so no
   * LIKE), in key order, a page of them, and how many there are in all.
   */
  async keys(prefix: string, limit: number, offset: number): Promise<{ keys: string[]; total_entries: number }> {
    const rows = await this.em.execute<{ key: string }[]>('select key from variable where starts_with(key, ?) order by key limit ? offset ?', [
      prefix,
      limit,
      offset,
    ]);
    const [{ total }] = await this.em.execute<{ total: string }[]>('select count(*) as total from variable where starts_with(key, ?)', [prefix]);
    return { keys: rows.map((r) => r.key), total_entries: Number(total) };
  }

  /** The control plane's read: the value masked when the key's name is sensitive. */
  async view(row: VariableRow): Promise<VariableView>;
  async view(key: string): Promise<VariableView>;
  async view(arg: VariableRow | string): Promise<VariableView> {
    const row = typeof arg === 'string' ? await this.find(arg) : arg;
    const lower = row.key.toLowerCase();
    const sensitive = this.config.rtif.sensitiveFields.some((w) => lower.includes(w));
    const value = this.valueOf(row);
    return { key: row.key, value: sensitive && value !== null ? REDACTED : value, description: row.description, is_encrypted: row.is_encrypted };
  }

  private async find(key: string): Promise<VariableRow> {
    const rows = await this.em.execute<VariableRow[]>('select key, val, description, is_encrypted from variable where key = ?', [key]);
    if (rows.length === 0) throw variableNotFound(key);
    return rows[0];
  }

  private valueOf(row: VariableRow): string | null {
    return row.val === null ? null : this.cipher.open({ text: row.val, encrypted: row.is_encrypted });
  }
}
