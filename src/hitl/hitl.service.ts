import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { parseExactJson, stringifyExactJson, type ExactJsonObject } from '../common/json/exact-json';
import { TaskInstanceLookup } from '../task-instances/task-instance.lookup';
import type { HITLDetailDto, HITLDetailEcho, HITLDetailRequest, HITLDetailResponse } from './dto/hitl-detail.dto';
import type { HitlUser } from './hitl-detail.entity';
import { AlreadyRespondedError, HITL_PROBLEMS, hitlDetailNotFound } from './hitl.problems';

/** A `hitl_detail` row as the statements below return it (JSON documents as text: exact numbers). */
interface DetailRow {
  ti_id: string;
  options: string[];
  subject: string;
  body: string | null;
  defaults: string[] | null;
  multiple: boolean;
  params: string;
  assigned_users: HitlUser[];
  // The driver may hand timestamps over as text: always read through new Date(…).
  created_at: Date | string;
  responded_at: Date | string | null;
  responded_by_user_id: string | null;
  responded_by_user_name: string | null;
  chosen_options: string[] | null;
  params_input: string;
}

/** Every column, the two free-form documents as text (node-postgres would round their numbers). */
const COLUMNS = `ti_id, options, subject, body, defaults, multiple, params::text as params, assigned_users, created_at,
  responded_at, responded_by_user_id, responded_by_user_name, chosen_options, params_input::text as params_input`;

/** An answer to record: by a person (control plane), or by the task itself (`responded_by` null). */
export interface Answer {
  chosenOptions: string[];
  paramsInput: ExactJsonObject | null | undefined;
  respondedBy: HitlUser | null;
}

/**
 * Human-in-the-loop details (Airflow's `routes/hitl.py` and the core API's answer). Every write is
 * one statement whose outcome does not depend on what an earlier read saw: the question is an
 * `INSERT … ON CONFLICT DO UPDATE`, an answer an `UPDATE … WHERE chosen_options IS NULL`, so two
 * answers racing are decided by the row lock: one updates, the other re-checks the condition on the
 * committed row, matches nothing and is told 409 `already_responded`. No lost update, no retry.
 */
@Injectable()
export class HitlService {
  private readonly logger = new Logger('Hitl');

  constructor(
    private readonly em: EntityManager,
    private readonly lookup: TaskInstanceLookup,
  ) {}

  /**
   * Airflow's upsert: creates the question; a question without an answer is returned as stored; a
   * question with an answer (the task instance was cleared or retried after it) loses the answer.
   * The stored question wins over the payload when one exists, as in Airflow.
   */
  async upsert(tiId: string, payload: HITLDetailRequest): Promise<HITLDetailEcho> {
    // The id must stay the live row's while the question is written (an archive waits, then 410).
    await this.lookup.findLive(tiId, 'key share');
    const [row] = await this.em.execute<DetailRow[]>(
      `insert into hitl_detail as d (ti_id, options, subject, body, defaults, multiple, params, assigned_users)
       values (?, ?::jsonb, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb)
       on conflict (ti_id) do update
         set responded_at = null, responded_by_user_id = null, responded_by_user_name = null, chosen_options = null, params_input = '{}'
       returning ${COLUMNS}`,
      [
        tiId,
        JSON.stringify(payload.options),
        payload.subject,
        payload.body ?? null,
        payload.defaults == null ? null : JSON.stringify(payload.defaults),
        payload.multiple ?? false,
        stringifyExactJson(payload.params ?? {}),
        JSON.stringify((payload.assigned_users ?? []).map((u) => ({ id: u.id, name: u.name }))),
      ],
    );
    return toEcho(row);
  }

  /** The answer part; 404 without a question. */
  async response(tiId: string): Promise<HITLDetailResponse> {
    return toResponse(await this.find(tiId));
  }

  /** The whole detail (control plane), with the task instance's state. */
  async detail(tiId: string): Promise<HITLDetailDto> {
    const row = await this.find(tiId);
    return toDetail(row, await this.stateOf(tiId));
  }

  /**
   * Records the answer once. `validate`: a person's answer must pick among the options (one
   * unless `multiple`); the task's own answer is taken as Airflow takes it. A person's answer to a
   * task parked in `awaiting_input` sends it to `scheduled` in the same unit of work, so the
   * scheduler queues it and the resumed try reads the answer (`GET hitlDetails`).
   */
  async answer(tiId: string, answer: Answer, options: { validate: boolean; requeue: boolean }): Promise<HITLDetailDto> {
    // The task instance's row first, as PATCH …/state awaiting_input takes it: whichever of the
    // park and the answer commits second sees the other's write, so an answer never misses a
    // task that parks at the same moment (it would stay parked with its answer given).
    const [ti] = await this.em.execute<{ state: string }[]>('select state from task_instance where id = ? for no key update', [tiId]);
    if (options.validate) await this.checkChoice(tiId, answer.chosenOptions);
    const [row] = await this.em.execute<DetailRow[]>(
      `update hitl_detail
          set chosen_options = ?::jsonb, params_input = ?::jsonb, responded_at = ?,
              responded_by_user_id = ?, responded_by_user_name = ?
        where ti_id = ? and chosen_options is null
       returning ${COLUMNS}`,
      [
        JSON.stringify(answer.chosenOptions),
        stringifyExactJson(answer.paramsInput ?? {}),
        new Date(),
        answer.respondedBy?.id ?? null,
        answer.respondedBy?.name ?? null,
        tiId,
      ],
    );
    if (row === undefined) {
      // Nothing matched: either no question, or an answer is already there (committed before ours).
      const existing = await this.em.execute<{ responded_at: Date | string | null }[]>('select responded_at from hitl_detail where ti_id = ?', [tiId]);
      if (existing.length === 0) throw hitlDetailNotFound(tiId);
      throw new AlreadyRespondedError(tiId, existing[0].responded_at);
    }
    let state = ti?.state ?? null;
    if (options.requeue && state === 'awaiting_input') {
      await this.em.execute(
        `update task_instance set state = 'scheduled', updated_at = ? where id = ? and state = 'awaiting_input'`,
        [new Date(), tiId],
        'run',
      );
      state = 'scheduled';
      this.logger.log({ msg: 'answered task instance requeued', task_instance_id: tiId });
    }
    return toDetail(row, state);
  }

  private async checkChoice(tiId: string, chosen: string[]): Promise<void> {
    const [question] = await this.em.execute<{ options: string[]; multiple: boolean }[]>('select options, multiple from hitl_detail where ti_id = ?', [tiId]);
    if (question === undefined) throw hitlDetailNotFound(tiId);
    const unknown = chosen.filter((o) => !question.options.includes(o));
    if (unknown.length > 0) {
      throw HITL_PROBLEMS.error(
        'invalid_chosen_options',
        `chosen_options must be among the options of the question: ${question.options.length} given.`,
        'invalid_chosen_options',
        {
          task_instance_id: tiId,
        },
      );
    }
    if (!question.multiple && chosen.length !== 1) {
      throw HITL_PROBLEMS.error('invalid_chosen_options', 'Exactly one option may be chosen: the question does not allow several.', 'invalid_chosen_options', {
        task_instance_id: tiId,
      });
    }
  }

  private async find(tiId: string): Promise<DetailRow> {
    const [row] = await this.em.execute<DetailRow[]>(`select ${COLUMNS} from hitl_detail where ti_id = ?`, [tiId]);
    if (row === undefined) throw hitlDetailNotFound(tiId);
    return row;
  }

  private async stateOf(tiId: string): Promise<string | null> {
    const [ti] = await this.em.execute<{ state: string }[]>('select state from task_instance where id = ?', [tiId]);
    return ti?.state ?? null;
  }
}

function toEcho(row: DetailRow): HITLDetailEcho {
  return {
    ti_id: row.ti_id,
    options: row.options,
    subject: row.subject,
    body: row.body,
    defaults: row.defaults,
    multiple: row.multiple,
    params: parseExactJson(row.params) as ExactJsonObject,
    assigned_users: row.assigned_users,
  };
}

function toResponse(row: DetailRow): HITLDetailResponse {
  return {
    response_received: row.chosen_options !== null,
    responded_by_user:
      row.responded_by_user_id === null ? null : { id: row.responded_by_user_id, name: row.responded_by_user_name ?? row.responded_by_user_id },
    responded_at: row.responded_at ? new Date(row.responded_at).toISOString() : null,
    chosen_options: row.chosen_options,
    params_input: parseExactJson(row.params_input) as ExactJsonObject,
  };
}

function toDetail(row: DetailRow, state: string | null): HITLDetailDto {
  return { ...toEcho(row), created_at: new Date(row.created_at).toISOString(), ...toResponse(row), task_instance_state: state };
}
