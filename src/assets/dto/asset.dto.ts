import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsByteLength, IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { JsonObject } from '../../common/json/json-value';
import { ASSET_KEY_MAX_BYTES } from '../../task-instances/task-instance.entity';
import type { Asset } from '../asset.entity';

/** Printable, no control characters (U+0000 cannot reach PostgreSQL text). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

/** `PUT /api/v1/assets` body: register (or update) an asset, as a scheduler does when it parses a dag. */
@ApiSchema({ name: 'RegisterAssetBody' })
export class RegisterAssetDto {
  @ApiProperty({ example: 'orders', maxLength: ASSET_KEY_MAX_BYTES, description: `At most ${ASSET_KEY_MAX_BYTES} UTF-8 bytes.` })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 's3://warehouse/orders', maxLength: ASSET_KEY_MAX_BYTES, description: `At most ${ASSET_KEY_MAX_BYTES} UTF-8 bytes.` })
  @IsString()
  @IsByteLength(1, ASSET_KEY_MAX_BYTES)
  @Matches(NO_CONTROL, { message: 'uri must not contain control characters' })
  uri: string;

  @ApiPropertyOptional({ example: 'asset', maxLength: 1500, description: 'Defaults to "".' })
  @IsOptional()
  @IsString()
  @MaxLength(1500)
  @Matches(NO_CONTROL, { message: 'group must not contain control characters' })
  group?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: {}, description: 'Defaults to {}.' })
  @IsOptional()
  @IsObject()
  // The document as parsed: class-transformer would copy an exact number (JSON.rawJSON) into a plain object.
  @Transform(({ obj }) => (obj as { extra?: unknown }).extra, { toClassOnly: true })
  extra?: JsonObject;

  @ApiPropertyOptional({
    example: true,
    description: 'Whether a dag the scheduler knows still uses the asset (Airflow keeps this in asset_active). Defaults to true.',
  })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

@ApiSchema({ name: 'Asset' })
export class AssetDto {
  @ApiProperty({ example: 'orders' }) name: string;
  @ApiProperty({ example: 's3://warehouse/orders' }) uri: string;
  @ApiProperty({ example: 'asset' }) group: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} }) extra: JsonObject;
  @ApiProperty({ example: true }) active: boolean;

  static from(asset: Pick<Asset, 'name' | 'uri' | 'group' | 'extra' | 'active'>): AssetDto {
    return { name: asset.name, uri: asset.uri, group: asset.group, extra: asset.extra, active: asset.active };
  }
}

/** Airflow's `AssetProfile` of an asset (`type: "Asset"`). */
@ApiSchema({ name: 'AssetProfile' })
export class AssetProfile {
  @ApiProperty({ example: 'orders' }) name: string;
  @ApiProperty({ example: 's3://warehouse/orders' }) uri: string;
  @ApiProperty({ enum: ['Asset'], example: 'Asset' }) type: 'Asset';
}

/** `GET …/validate-inlets-and-outlets` response (Airflow's `InactiveAssetsResponse`). */
@ApiSchema({ name: 'InactiveAssetsResponse' })
export class InactiveAssetsResponse {
  @ApiProperty({ type: [AssetProfile], description: 'Declared inlets and outlets that are not active assets; empty when all are.' })
  inactive_assets: AssetProfile[];
}
