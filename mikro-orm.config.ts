import { loadAppConfig } from './src/settings';
import { buildOrmOptions } from './src/database/orm-options';

/**
 * MikroORM configuration for tools that read `mikro-orm.config.ts` (the MikroORM CLI). The service
 * itself builds the same options in `src/database/orm-options.ts` at boot. Needs DATABASE_URL.
 */
const config = loadAppConfig();
export default buildOrmOptions(config, config.database.url ?? 'postgres://postgres:postgres@127.0.0.1:54329/task_execution');
