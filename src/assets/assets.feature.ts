import type { FeatureManifest } from '../features';
import { AssetAlias, AssetAliasAsset, AssetAliasAssetEvent, AssetEvent } from './asset-event.entity';
import { Asset } from './asset.entity';

/** The asset module's entities (see `src/features.ts`). */
export const ASSETS_FEATURE: FeatureManifest = {
  name: 'assets',
  entities: [Asset, AssetEvent, AssetAlias, AssetAliasAsset, AssetAliasAssetEvent],
};
