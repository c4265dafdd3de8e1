import type { FeatureManifest } from '../feature-manifest';
import { AssetAlias, AssetAliasAsset, AssetAliasAssetEvent, AssetEvent } from './asset-event.entity';
import { Asset } from './asset.entity';
import { AssetsModule } from './assets.module';
import { Migration20261206130000_assets } from '../migrations/Migration20261206130000_assets';

/** The asset feature (see `src/features.ts`); joins a success through `@TaskSuccessHook()`. */
export const ASSETS_FEATURE: FeatureManifest = {
  name: 'assets',
  dependsOn: ['task-instances'],
  module: AssetsModule,
  entities: [Asset, AssetEvent, AssetAlias, AssetAliasAsset, AssetAliasAssetEvent],
  migrations: [{ name: 'Migration20261206130000_assets', class: Migration20261206130000_assets }],
};
