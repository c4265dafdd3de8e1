import type { FeatureManifest } from '../feature-manifest';
import { AssetAlias, AssetAliasAsset, AssetAliasAssetEvent, AssetEvent } from './asset-event.entity';
import { Asset } from './asset.entity';
import { Migration20261206130000_assets } from '../migrations/Migration20261206130000_assets';

/** The asset module's entities (see `src/features.ts`). */
export const ASSETS_FEATURE: FeatureManifest = {
  name: 'assets',
  entities: [Asset, AssetEvent, AssetAlias, AssetAliasAsset, AssetAliasAssetEvent],
  migrations: [{ name: 'Migration20261206130000_assets', class: Migration20261206130000_assets }],
};
