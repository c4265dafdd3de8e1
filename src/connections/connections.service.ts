import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { parseExactJson, stringifyExactJson } from '../common/json/exact-json';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SecretCipher } from '../secrets/secret-cipher';
import { REDACTED, redactSensitive } from '../common/json/redaction';
import { CONNECTION_KEY_CONSTRAINT } from './connection.entity';
import { connectionNotFound } from './connections.problems';
import type { ConnectionDto, ConnectionResponse, PutConnectionBody } from './dto/connection.dto';

interface ConnectionRow {
  conn_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
  is_encrypted: boolean;
  is_extra_encrypted: boolean;
}

const COLUMNS = 'conn_id, conn_type, description, host, "schema", login, password, port, extra, is_encrypted, is_extra_encrypted';

/**
 * Airflow's connections: read by tasks in clear, seeded by the control plane. `password` and
 * `extra` are sealed with FERNET_KEY on the way in (`SecretCipher`); the control plane never shows
 * a password and masks the values of `extra` under sensitive key names, with the same rule as
 * rendered fields (`redactSensitive`, DEFAULT_SENSITIVE_FIELDS + RTIF_EXTRA_SENSITIVE_FIELDS).
 */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly cipher: SecretCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The connection as a task gets it: every field in clear (Airflow's `ConnectionResponse`). */
  async get(connId: string): Promise<ConnectionResponse> {
    const row = await this.find(connId);
    return {
      conn_id: row.conn_id,
      conn_type: row.conn_type,
      host: row.host,
      schema: row.schema,
      login: row.login,
      password: row.password === null ? null : this.cipher.open({ text: row.password, encrypted: row.is_encrypted }),
      port: row.port,
      extra: row.extra === null ? null : this.cipher.open({ text: row.extra, encrypted: row.is_extra_encrypted }),
    };
  }

  /** Creates or replaces a connection: one `INSERT … ON CONFLICT DO UPDATE` (a repeat or a race converges). */
  async put(connId: string, body: PutConnectionBody): Promise<ConnectionDto> {
    const password = body.password == null ? { text: null, encrypted: false } : this.cipher.seal(body.password);
    const extra = body.extra == null ? { text: null, encrypted: false } : this.cipher.seal(body.extra);
    const rows = await this.em.execute<ConnectionRow[]>(
      `insert into connection (${COLUMNS}, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
         on conflict on constraint ${CONNECTION_KEY_CONSTRAINT}
         do update set conn_type = excluded.conn_type, description = excluded.description, host = excluded.host,
                       "schema" = excluded."schema", login = excluded.login, password = excluded.password, port = excluded.port,
                       extra = excluded.extra, is_encrypted = excluded.is_encrypted, is_extra_encrypted = excluded.is_extra_encrypted,
                       updated_at = excluded.updated_at
       returning ${COLUMNS}`,
      [
        connId,
        body.conn_type,
        body.description ?? null,
        body.host ?? null,
        body.schema ?? null,
        body.login ?? null,
        password.text,
        body.port ?? null,
        extra.text,
        password.encrypted,
        extra.encrypted,
      ],
    );
    return this.view(rows[0]);
  }

  async show(connId: string): Promise<ConnectionDto> {
    return this.view(await this.find(connId));
  }

  /** Deletes a connection; a missing one is a success. */
  async delete(connId: string): Promise<void> {
    await this.em.execute('delete from connection where conn_id = ?', [connId]);
  }

  private view(row: ConnectionRow): ConnectionDto {
    return {
      conn_id: row.conn_id,
      conn_type: row.conn_type,
      description: row.description,
      host: row.host,
      schema: row.schema,
      login: row.login,
      password: row.password === null ? null : REDACTED,
      port: row.port,
      extra: row.extra === null ? null : this.maskedExtra(this.cipher.open({ text: row.extra, encrypted: row.is_extra_encrypted })),
      is_encrypted: row.is_encrypted,
      is_extra_encrypted: row.is_extra_encrypted,
    };
  }

  /** Sensitive keys masked at any depth; text that is not a JSON object could be anything, so all of it. */
  private maskedExtra(extra: string): string {
    let parsed;
    try {
      parsed = parseExactJson(extra);
    } catch {
      return REDACTED;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return REDACTED;
    return stringifyExactJson(redactSensitive(parsed, this.config.rtif.sensitiveFields));
  }

  private async find(connId: string): Promise<ConnectionRow> {
    const rows = await this.em.execute<ConnectionRow[]>(`select ${COLUMNS} from connection where conn_id = ?`, [connId]);
    if (rows.length === 0) throw connectionNotFound(connId);
    return rows[0];
  }
}
