import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { dagNotFound } from '../dag-runs/dag-runs.problems';
import { Dag } from './dag.entity';
import { DagDetail, DagResponse, type PutDagDto } from './dto/dag.dto';

/** The dags the control plane registers and a task reads (`GET /execution/dags/{dag_id}`). */
@Injectable()
export class DagsService {
  constructor(private readonly em: EntityManager) {}

  /** The registered dag, or Airflow's defaults for a dag known only by its runs (see `DagRunsService`); 404 otherwise. */
  async get(dagId: string): Promise<DagResponse> {
    const dag = await this.em.findOne(Dag, { dagId });
    if (dag) return DagResponse.from(dag);
    const runs = await this.em.execute<unknown[]>('select 1 from dag_run where dag_id = ? limit 1', [dagId]);
    if (runs.length === 0) throw dagNotFound(dagId);
    return DagResponse.ofRunsOnly(dagId);
  }

  async detail(dagId: string): Promise<DagDetail> {
    const dag = await this.em.findOne(Dag, { dagId });
    if (!dag) throw dagNotFound(dagId);
    return DagDetail.detail(dag);
  }

  /**
   * Registers the dag or replaces its registration: one `INSERT … ON CONFLICT DO UPDATE`, so a
   * repeat or a race of the same PUT is the same row, never a 409.
   */
  async put(dagId: string, dto: PutDagDto): Promise<DagDetail> {
    const data = {
      dagId,
      isPaused: dto.is_paused ?? false,
      bundleName: dto.bundle_name ?? null,
      bundleVersion: dto.bundle_version ?? null,
      relativeFileloc: dto.relative_fileloc ?? null,
      owners: dto.owners ?? null,
      tags: dto.tags ?? [],
      nextDagrun: dto.next_dagrun ? new Date(dto.next_dagrun) : null,
      hasImportErrors: dto.has_import_errors ?? false,
      updatedAt: new Date(),
    };
    const dag = await this.em.upsert(Dag, data, {
      onConflictFields: ['dagId'],
      onConflictMergeFields: ['isPaused', 'bundleName', 'bundleVersion', 'relativeFileloc', 'owners', 'tags', 'nextDagrun', 'hasImportErrors', 'updatedAt'],
    });
    return DagDetail.detail(dag);
  }
}
