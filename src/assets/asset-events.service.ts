import { createHash } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { parseExactJson, stringifyExactJson } from '../common/json/exact-json';
import type { JsonObject } from '../common/json/json-value';
import { TaskSuccessHook, type SucceedingTaskInstance, type TaskSuccessHookHandler } from '../task-instances/task-success.hooks';
import { classifyDbError } from '../common/unit-of-work/sqlstate';
import { ASSET_KEY_MAX_BYTES } from '../task-instances/task-instance.entity';
import { ASSET_EVENT_EMISSION_CONSTRAINT, PARTITION_KEY_MAX_LENGTH } from './asset-event.entity';
import { ASSET_KEY_CONSTRAINT } from './asset.entity';
import {
  assetNotFound,
  exclusivePartitionFilters,
  invalidPartitionKey,
  invalidRegex,
  MAX_REGEX_PATTERN_LENGTH,
  missingAssetParameter,
} from './assets.problems';
import type { AssetEventDto, AssetResponse } from './dto/asset-event.dto';

/** What an asset-events read filters on (Airflow's `by-asset` / `by-asset-alias` query). */
export interface AssetEventFilter {
  after?: Date;
  before?: Date;
  ascending: boolean;
  limit?: number;
  partitionKey?: string;
  partitionKeyPattern?: string;
  /** `extra=k=v` pairs, ANDed. */
  extra: [string, string][];
}

/** One event to store: the asset (by id), and where it came from. */
interface NewEvent {
  assetId: number;
  extra: JsonObject;
  partitionKey: string | null;
  emission: string;
  source?: SucceedingTaskInstance;
  /** The aliases it was emitted through. */
  aliasIds?: number[];
}

interface AssetKey {
  name: string;
  uri: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A name or uri this service can store as an asset key (the unique index bounds it in bytes). */
const storable = (v: string) => Buffer.byteLength(v) <= ASSET_KEY_MAX_BYTES && !v.includes('\u0000');

/** An outlet event's `dest_asset_key`, when it is one. */
function destKey(event: JsonObject): AssetKey | undefined {
  const key = event.dest_asset_key;
  if (!isObject(key)) return undefined;
  const name = str(key.name);
  const uri = str(key.uri);
  return name !== undefined && uri !== undefined ? { name, uri } : undefined;
}

/**
 * An outlet event's `partition_key`: null when absent; 422 when blank or longer than 250 (Airflow's
 * ID_LEN), or holding U+0000, which PostgreSQL text cannot store (Airflow's database refuses it too).
 */
function partitionKeyOf(event: JsonObject): string | null {
  const value = event.partition_key;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '' || Array.from(value).length > PARTITION_KEY_MAX_LENGTH || value.includes('\u0000')) {
    throw invalidPartitionKey();
  }
  return value;
}

/** `extra` with its top-level keys sorted: Airflow groups alias events by the extra's items, whatever their order. */
function canonicalExtra(extra: JsonObject): string {
  const sorted: JsonObject = {};
  for (const k of Object.keys(extra).sort()) sorted[k] = extra[k];
  return stringifyExactJson(sorted);
}

interface EventRow {
  id: number;
  timestamp: Date;
  extra: string;
  partition_key: string | null;
  source_task_id: string | null;
  source_dag_id: string | null;
  source_run_id: string | null;
  source_map_index: number;
  name: string;
  uri: string;
  group: string;
  asset_extra: string;
}

interface AssetRow {
  name: string;
  uri: string;
  group: string;
  extra: string;
}

const toAsset = (row: AssetRow): AssetResponse => ({ name: row.name, uri: row.uri, group: row.group, extra: parseExactJson(row.extra) as JsonObject });

/**
 * Asset events: stored when a task succeeds (its `task_outlets` and `outlet_events`, as Airflow's
 * `register_asset_changes_in_db`), seeded by an operator, and read by tasks (`by-asset`,
 * `by-asset-alias`). Also the active-asset reads of `GET /execution/assets/…`.
 */
@Injectable()
@TaskSuccessHook({})
export class AssetEventsService implements TaskSuccessHookHandler {
  private readonly logger = new Logger('AssetEvents');

  constructor(private readonly em: EntityManager) {}

  /**
   * Stores the events of a succeeding try, in `PATCH …/state`'s unit of work, before its transition:
   * - every `partition_key` is checked first (422 `invalid_partition_key`, nothing written);
   * - an outlet naming an active asset (`Asset` by name and uri, `AssetNameRef`, `AssetUriRef`)
   *   gets one event, with the `extra` and `partition_key` of the outlet event for that asset that
   *   came through no alias;
   * - outlet events through an alias the task declares (`AssetAlias`) get one event per asset,
   *   extra and partition key, linked to every alias that emitted it; the asset and the aliases are
   *   created when missing (a dynamically created asset is not active until a scheduler registers it).
   * Outlets naming no active asset are skipped with a warning (the task checked them before running).
   *
   * Idempotent: each event is keyed by (try, asset, emission) and inserted `ON CONFLICT DO NOTHING`,
   * and the creations are `ON CONFLICT DO NOTHING` too, so neither a retried unit of work nor two
   * tasks emitting through the same new asset or alias at once can give a unique violation.
   */
  async onTaskSuccess(em: EntityManager, ti: SucceedingTaskInstance): Promise<void> {
    const partitionKeys = ti.outletEvents.map(partitionKeyOf);
    if (ti.taskOutlets.length === 0) return;

    const keys = new Map<string, AssetKey>();
    const nameRefs = new Set<string>();
    const uriRefs = new Set<string>();
    const aliasNames = new Set<string>();
    for (const outlet of ti.taskOutlets) {
      const name = str(outlet.name);
      const uri = str(outlet.uri);
      if (outlet.type === 'Asset' && name !== undefined && uri !== undefined) keys.set(JSON.stringify([name, uri]), { name, uri });
      else if (outlet.type === 'AssetNameRef' && name !== undefined) nameRefs.add(name);
      else if (outlet.type === 'AssetUriRef' && uri !== undefined) uriRefs.add(uri);
      else if (outlet.type === 'AssetAlias' && name !== undefined && storable(name)) aliasNames.add(name);
    }

    // The outlet events that came through no alias, by asset (the last one wins, as Airflow's dict does).
    const direct = new Map<string, { key: AssetKey; extra: JsonObject; partitionKey: string | null }>();
    ti.outletEvents.forEach((event, i) => {
      const key = destKey(event);
      if (key === undefined || 'source_alias_name' in event) return;
      direct.set(JSON.stringify([key.name, key.uri]), { key, extra: isObject(event.extra) ? event.extra : {}, partitionKey: partitionKeys[i] });
    });
    const directBy = (match: (k: AssetKey) => boolean) => [...direct.values()].filter((d) => match(d.key)).pop();

    const events: NewEvent[] = [];
    if (keys.size + nameRefs.size + uriRefs.size > 0) {
      const active = await em.execute<{ id: number; name: string; uri: string }[]>(
        `select id, name, uri from asset
          where active
            and ((name, uri) in (select d.name, d.uri from jsonb_to_recordset(?::jsonb) as d(name text, uri text))
                 or name in (select jsonb_array_elements_text(?::jsonb))
                 or uri in (select jsonb_array_elements_text(?::jsonb)))
          order by id`,
        [JSON.stringify([...keys.values()]), JSON.stringify([...nameRefs]), JSON.stringify([...uriRefs])],
      );
      const missing: string[] = [];
      const emit = (emission: string, found: { id: number } | undefined, label: string, match: (k: AssetKey) => boolean) => {
        if (found === undefined) return missing.push(label);
        const d = directBy(match);
        events.push({ assetId: found.id, extra: d?.extra ?? {}, partitionKey: d?.partitionKey ?? null, emission, source: ti });
      };
      for (const k of keys.values()) {
        const same = (a: AssetKey) => a.name === k.name && a.uri === k.uri;
        emit('asset', active.find(same), `${k.name} (${k.uri})`, same);
      }
      // Several active assets may share a name (or a uri): the last one, as Airflow's dict keeps it.
      for (const name of nameRefs) emit('name_ref', active.filter((a) => a.name === name).pop(), `name ${name}`, (a) => a.name === name);
      for (const uri of uriRefs) emit('uri_ref', active.filter((a) => a.uri === uri).pop(), `uri ${uri}`, (a) => a.uri === uri);
      if (missing.length > 0) this.logger.warn({ msg: 'outlets name no active asset; no event for them', task_instance_id: ti.id, outlets: missing });
    }

    if (aliasNames.size > 0) events.push(...(await this.aliasEvents(em, ti, aliasNames, partitionKeys)));
    for (const event of events) await this.insertEvent(em, event);
  }

  /**
   * The alias part of a success: outlet events through an alias the task declares, grouped by
   * (asset, extra, partition key), each group one event linked to its aliases. Rows are created
   * in a fixed order (aliases, then assets, by name) so that two tasks doing this at once wait
   * for each other instead of deadlocking.
   */
  private async aliasEvents(em: EntityManager, ti: SucceedingTaskInstance, declared: Set<string>, partitionKeys: (string | null)[]): Promise<NewEvent[]> {
    const groups = new Map<string, { key: AssetKey; extra: JsonObject; partitionKey: string | null; aliases: Set<string> }>();
    ti.outletEvents.forEach((event, i) => {
      const alias = event.source_alias_name;
      const key = destKey(event);
      if (typeof alias !== 'string' || !declared.has(alias) || key === undefined || !storable(key.name) || !storable(key.uri)) return;
      const extra = isObject(event.extra) ? event.extra : {};
      const id = JSON.stringify([key.name, key.uri, canonicalExtra(extra), partitionKeys[i]]);
      const group = groups.get(id) ?? { key, extra, partitionKey: partitionKeys[i], aliases: new Set<string>() };
      group.aliases.add(alias);
      groups.set(id, group);
    });
    if (groups.size === 0) return [];

    const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const aliasIds = await this.ensureAliases(em, [...new Set(ordered.flatMap(([, g]) => [...g.aliases]))]);
    const assetKeys = new Map(ordered.map(([, g]) => [JSON.stringify([g.key.name, g.key.uri]), g.key]));
    const assetIds = new Map<string, number>();
    for (const [id, key] of [...assetKeys.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) assetIds.set(id, await this.ensureAsset(em, key));

    const events: NewEvent[] = [];
    for (const [id, group] of ordered) {
      const assetId = assetIds.get(JSON.stringify([group.key.name, group.key.uri]))!;
      const links = [...group.aliases].sort().map((a) => [aliasIds.get(a)!, assetId]);
      await em.execute(
        `insert into asset_alias_asset (alias_id, asset_id)
           select (p->>0)::int, (p->>1)::int from jsonb_array_elements(?::jsonb) p
         on conflict do nothing`,
        [JSON.stringify(links)],
      );
      const digest = createHash('sha256').update(id).digest('hex').slice(0, 40);
      events.push({
        assetId,
        extra: group.extra,
        partitionKey: group.partitionKey,
        emission: `alias:${digest}`,
        source: ti,
        aliasIds: [...group.aliases].map((a) => aliasIds.get(a)!),
      });
    }
    return events;
  }

  /** The ids of the aliases, created when missing (in name order). */
  private async ensureAliases(em: EntityManager, names: string[]): Promise<Map<string, number>> {
    const sorted = JSON.stringify([...names].sort());
    await em.execute(
      `insert into asset_alias (name) select n from jsonb_array_elements_text(?::jsonb) n order by n on conflict on constraint asset_alias_name_key do nothing`,
      [sorted],
    );
    // A new statement: under READ COMMITTED it sees the rows a concurrent transaction committed while this one waited.
    const rows = await em.execute<{ id: number; name: string }[]>(
      `select id, name from asset_alias where name in (select jsonb_array_elements_text(?::jsonb))`,
      [sorted],
    );
    return new Map(rows.map((r) => [r.name, r.id]));
  }

  /** The id of the asset, created inactive when missing (Airflow creates the `AssetModel` without `AssetActive`). */
  private async ensureAsset(em: EntityManager, key: AssetKey): Promise<number> {
    await em.execute(
      `insert into asset (name, uri, "group", extra, active, updated_at) values (?, ?, 'asset', '{}', false, ?)
         on conflict on constraint ${ASSET_KEY_CONSTRAINT} do nothing`,
      [key.name, key.uri, new Date()],
    );
    const rows = await em.execute<{ id: number }[]>('select id from asset where name = ? and uri = ?', [key.name, key.uri]);
    return rows[0].id;
  }

  /** Inserts the event unless this try already stored it; links it to its aliases when new. */
  private async insertEvent(em: EntityManager, event: NewEvent): Promise<number | undefined> {
    const s = event.source;
    const rows = await em.execute<{ id: number }[]>(
      `insert into asset_event (asset_id, extra, partition_key, source_task_instance_id, source_dag_id, source_task_id, source_run_id, source_map_index, emission, "timestamp")
         values (?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict on constraint ${ASSET_EVENT_EMISSION_CONSTRAINT} do nothing
       returning id`,
      [
        event.assetId,
        stringifyExactJson(event.extra),
        event.partitionKey,
        s?.id ?? null,
        s?.dagId ?? null,
        s?.taskId ?? null,
        s?.runId ?? null,
        s?.mapIndex ?? -1,
        event.emission,
        new Date(),
      ],
    );
    const id = rows[0]?.id;
    if (id !== undefined && event.aliasIds && event.aliasIds.length > 0) {
      await em.execute(
        `insert into asset_alias_asset_event (alias_id, event_id) select a::int, ? from jsonb_array_elements_text(?::jsonb) a on conflict do nothing`,
        [id, JSON.stringify([...event.aliasIds].sort((a, b) => a - b))],
      );
    }
    return id;
  }

  /**
   * Seeds an event for a registered asset (the control plane), optionally as if emitted through
   * aliases (created when missing, linked to the asset). 404 when the asset is not registered.
   */
  async seed(input: { name: string; uri: string; extra?: JsonObject; partitionKey?: string | null; aliases?: string[] }): Promise<AssetEventDto> {
    const asset = await this.em.execute<{ id: number }[]>('select id from asset where name = ? and uri = ?', [input.name, input.uri]);
    if (asset.length === 0) throw assetNotFound('name', input.name);
    const aliases = input.aliases ?? [];
    const aliasIds = aliases.length > 0 ? await this.ensureAliases(this.em, aliases) : new Map<string, number>();
    if (aliasIds.size > 0) {
      await this.em.execute(
        `insert into asset_alias_asset (alias_id, asset_id) select a::int, ? from jsonb_array_elements_text(?::jsonb) a on conflict do nothing`,
        [asset[0].id, JSON.stringify([...aliasIds.values()].sort((a, b) => a - b))],
      );
    }
    const id = await this.insertEvent(this.em, {
      assetId: asset[0].id,
      extra: input.extra ?? {},
      partitionKey: input.partitionKey ?? null,
      emission: '',
      aliasIds: [...aliasIds.values()],
    });
    const [event] = await this.select('e.id = ?', [id!], { ascending: true, extra: [] });
    return event;
  }

  /** The active asset by name (404 `Asset with name X not found`). Several active assets may share a name: the first registered. */
  async byName(name: string): Promise<AssetResponse> {
    const rows = await this.em.execute<AssetRow[]>(`select name, uri, "group", extra::text as extra from asset where name = ? and active order by id limit 1`, [
      name,
    ]);
    if (rows.length === 0) throw assetNotFound('name', name);
    return toAsset(rows[0]);
  }

  /** The active asset by uri (404 `Asset with URI X not found`). */
  async byUri(uri: string): Promise<AssetResponse> {
    const rows = await this.em.execute<AssetRow[]>(`select name, uri, "group", extra::text as extra from asset where uri = ? and active order by id limit 1`, [
      uri,
    ]);
    if (rows.length === 0) throw assetNotFound('URI', uri);
    return toAsset(rows[0]);
  }

  /** The assets an alias resolved to (events emitted through it, or seeded); empty for an unknown alias. */
  async byAlias(aliasName: string): Promise<AssetResponse[]> {
    const rows = await this.em.execute<AssetRow[]>(
      `select a.name, a.uri, a."group", a.extra::text as extra
         from asset a join asset_alias_asset l on l.asset_id = a.id join asset_alias al on al.id = l.alias_id
        where al.name = ? order by a.id`,
      [aliasName],
    );
    return rows.map(toAsset);
  }

  /**
   * Events of an asset: by name and uri (any asset with both), or by one of them (active assets
   * only), as Airflow's `by-asset`. 400 `Missing parameter` with neither.
   */
  async eventsByAsset(name: string | undefined, uri: string | undefined, filter: AssetEventFilter): Promise<AssetEventDto[]> {
    if (name === undefined && uri === undefined) throw missingAssetParameter();
    await this.checkPartitionFilters(filter);
    if (name !== undefined && uri !== undefined) return this.select('a.name = ? and a.uri = ?', [name, uri], filter);
    if (uri !== undefined) return this.select('a.uri = ? and a.active', [uri], filter);
    return this.select('a.name = ? and a.active', [name!], filter);
  }

  /** Events emitted through the alias (Airflow's `by-asset-alias`). */
  async eventsByAlias(aliasName: string, filter: AssetEventFilter): Promise<AssetEventDto[]> {
    await this.checkPartitionFilters(filter);
    return this.select(
      'exists (select 1 from asset_alias_asset_event x join asset_alias al on al.id = x.alias_id where x.event_id = e.id and al.name = ?)',
      [aliasName],
      filter,
    );
  }

  /**
   * 400 for both partition filters, or a pattern that is too long or that PostgreSQL cannot compile.
   * The pattern runs in PostgreSQL (`~`, Spencer's engine) and never in a backtracking engine of this
   * process; its cost is bounded by the read's `statement_timeout` (a pathological pattern answers 503
   * `statement_timeout`, not retried). Compilation is tried on the empty string in a savepoint, so a
   * bad pattern (SQLSTATE 2201B) does not end the read's transaction.
   */
  private async checkPartitionFilters(filter: AssetEventFilter): Promise<void> {
    if (filter.partitionKey !== undefined && filter.partitionKeyPattern !== undefined) throw exclusivePartitionFilters();
    const pattern = filter.partitionKeyPattern;
    if (pattern === undefined) return;
    if (Array.from(pattern).length > MAX_REGEX_PATTERN_LENGTH) throw invalidRegex('too_long');
    try {
      await this.em.transactional((em) => em.execute(`select '' ~ ? as matched`, [pattern]));
    } catch (error) {
      if (classifyDbError(error)?.code === '2201B') throw invalidRegex('invalid');
      throw error;
    }
  }

  private async select(where: string, params: unknown[], filter: AssetEventFilter): Promise<AssetEventDto[]> {
    const clauses = [where];
    const values: unknown[] = [...params];
    const add = (clause: string, ...args: unknown[]) => {
      clauses.push(clause);
      values.push(...args);
    };
    if (filter.after) add('e."timestamp" >= ?', filter.after);
    if (filter.before) add('e."timestamp" <= ?', filter.before);
    if (filter.partitionKey !== undefined) add('e.partition_key = ?', filter.partitionKey);
    if (filter.partitionKeyPattern !== undefined) add('e.partition_key ~ ?', filter.partitionKeyPattern);
    for (const [k, v] of filter.extra) add('e.extra ->> ? = ?', k, v);
    const direction = filter.ascending ? 'asc' : 'desc';
    let sql = `select e.id, e."timestamp", e.extra::text as extra, e.partition_key, e.source_task_id, e.source_dag_id, e.source_run_id, e.source_map_index,
                      a.name, a.uri, a."group", a.extra::text as asset_extra
                 from asset_event e join asset a on a.id = e.asset_id
                where ${clauses.join(' and ')}
                order by e."timestamp" ${direction}, e.id ${direction}`;
    if (filter.limit !== undefined) {
      sql += ' limit ?';
      values.push(filter.limit);
    }
    const rows = await this.em.execute<EventRow[]>(sql, values);
    return rows.map((r) => ({
      id: r.id,
      timestamp: new Date(r.timestamp).toISOString(),
      extra: parseExactJson(r.extra) as JsonObject,
      asset: { name: r.name, uri: r.uri, group: r.group, extra: parseExactJson(r.asset_extra) as JsonObject },
      // No asset-triggered dag runs are created by this service (no scheduler): always empty.
      created_dagruns: [],
      source_task_id: r.source_task_id,
      source_dag_id: r.source_dag_id,
      source_run_id: r.source_run_id,
      source_map_index: r.source_map_index,
      partition_key: r.partition_key,
    }));
  }
}
