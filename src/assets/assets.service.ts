import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { TaskInstanceLookup } from '../task-instances/task-instance.lookup';
import type { AssetRef } from '../task-instances/task-instance.entity';
import { ASSET_KEY_CONSTRAINT, Asset } from './asset.entity';
import type { AssetProfile, RegisterAssetDto } from './dto/asset.dto';

const keyOf = (a: AssetRef) => JSON.stringify([a.name, a.uri]);

/** Assets a scheduler registers, and the check a task makes of its declared inlets and outlets. */
@Injectable()
export class AssetsService {
  constructor(
    private readonly em: EntityManager,
    private readonly lookup: TaskInstanceLookup,
  ) {}

  /**
   * Registers the asset or updates it in place (one `INSERT … ON CONFLICT` on its (name, uri)
   * key), so a repeat, or two schedulers registering the same asset at once, converge on one row.
   */
  async register(dto: RegisterAssetDto): Promise<Asset> {
    const rows = await this.em.execute<Record<string, unknown>[]>(
      `insert into asset (name, uri, "group", extra, active, updated_at) values (?, ?, ?, ?::jsonb, ?, ?)
         on conflict on constraint ${ASSET_KEY_CONSTRAINT}
         do update set "group" = excluded."group", extra = excluded.extra, active = excluded.active, updated_at = excluded.updated_at
       returning *`,
      [dto.name, dto.uri, dto.group ?? '', JSON.stringify(dto.extra ?? {}), dto.active ?? true, new Date()],
    );
    return this.em.map(Asset, rows[0]);
  }

  /**
   * The task instance's declared inlets and outlets that are not active assets, in the order it
   * declares them (inlets first), each once. An asset with the same name under another uri is
   * another asset, so it does not make the declared one active (Airflow's test pins this).
   */
  async inactiveAssets(taskInstanceId: string): Promise<AssetProfile[]> {
    const ti = await this.lookup.findLive(taskInstanceId, 'none');
    const declared = new Map<string, AssetRef>();
    for (const a of [...(ti.inlets ?? []), ...(ti.outlets ?? [])]) declared.set(keyOf(a), { name: a.name, uri: a.uri });
    if (declared.size === 0) return [];
    const active = await this.em.execute<AssetRef[]>(
      `select a.name, a.uri from asset a
         join jsonb_to_recordset(?::jsonb) as d(name text, uri text) on a.name = d.name and a.uri = d.uri
        where a.active`,
      [JSON.stringify([...declared.values()])],
    );
    for (const a of active) declared.delete(keyOf(a));
    return [...declared.values()].map((a) => ({ name: a.name, uri: a.uri, type: 'Asset' as const }));
  }
}
