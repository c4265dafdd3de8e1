import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { IsAwareDateTime } from '../../common/http/aware-date-time';
import type { Dag } from '../dag.entity';
import { PRINTABLE } from '../../common/http/query-values';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** `GET /execution/dags/{dag_id}` (Airflow's execution-API `DagResponse`, API 2026-04-06). */
@ApiSchema({ name: 'DagResponse' })
export class DagResponse {
  @ApiProperty({ example: 'example_dag' }) dag_id: string;
  @ApiProperty({ example: false }) is_paused: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'dags-folder' }) bundle_name: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) bundle_version: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'example_dag.py' }) relative_fileloc: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'airflow', description: 'Comma-separated owners, as Airflow stores them.' }) owners: string | null;
  @ApiProperty({ type: [String], example: ['example'] }) tags: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) next_dagrun: string | null;

  static from(dag: Dag): DagResponse {
    return {
      dag_id: dag.dagId,
      is_paused: dag.isPaused,
      bundle_name: dag.bundleName ?? null,
      bundle_version: dag.bundleVersion ?? null,
      relative_fileloc: dag.relativeFileloc ?? null,
      owners: dag.owners ?? null,
      tags: [...dag.tags],
      next_dagrun: iso(dag.nextDagrun),
    };
  }

  /** A dag known only by its runs (created by the control plane's task-instance create): Airflow's defaults. */
  static ofRunsOnly(dagId: string): DagResponse {
    return { dag_id: dagId, is_paused: false, bundle_name: null, bundle_version: null, relative_fileloc: null, owners: null, tags: [], next_dagrun: null };
  }
}

/** The control plane's view of a dag: what the execution API answers, and whether it has import errors. */
@ApiSchema({ name: 'DagDetail' })
export class DagDetail extends DagResponse {
  @ApiProperty({ example: false, description: 'A dag with import errors cannot be triggered or cleared (400 `import_errors`).' }) has_import_errors: boolean;

  static detail(dag: Dag): DagDetail {
    return { ...DagResponse.from(dag), has_import_errors: dag.hasImportErrors };
  }
}

/** `PUT /api/v1/dags/{dag_id}`: registers a dag, or replaces what was registered (every field, absent ones back to their default). */
export class PutDagDto {
  @ApiPropertyOptional({ example: false, description: 'Defaults to false.' })
  @IsOptional()
  @IsBoolean()
  is_paused?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 250, example: 'dags-folder' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 250)
  @Matches(PRINTABLE, { message: 'bundle_name must not contain control characters' })
  bundle_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, example: null })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: 'bundle_version must not contain control characters' })
  bundle_version?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, example: 'example_dag.py' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 2000)
  @Matches(PRINTABLE, { message: 'relative_fileloc must not contain control characters' })
  relative_fileloc?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, example: 'airflow' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 2000)
  @Matches(PRINTABLE, { message: 'owners must not contain control characters' })
  owners?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['example'], description: 'At most 100 tags of at most 100 characters. Defaults to none.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  @Matches(PRINTABLE, { each: true, message: 'tags must not contain control characters' })
  tags?: string[];

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: null })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsAwareDateTime()
  next_dagrun?: string | null;

  @ApiPropertyOptional({ example: false, description: 'Defaults to false.' })
  @IsOptional()
  @IsBoolean()
  has_import_errors?: boolean;
}
