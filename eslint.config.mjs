// ESLint (flat config) with typescript-eslint, the NestJS convention; formatting is Prettier's
// (`eslint-config-prettier` turns off the rules it owns). `npm run lint` runs both; CI runs it.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Import direction (docs/architecture.md): common/ is the house's core and knows no feature and no
// database adapter; config/ knows no feature. A relative import that climbs out of the folder into
// one of these is refused; the folder names are matched as path segments, so `../database/x` and
// `../../task-instances/x` both are. Keep FEATURE_FOLDERS in step with src/*/ when a module is added.
const FEATURE_FOLDERS = ['task-instances', 'xcom', 'assets', 'secrets', 'variables', 'connections', 'dag-runs', 'dags', 'hitl'];
const climbsInto = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const ROOT_REGISTRIES = ['features', 'feature-manifest', 'app\\.module', 'migrations'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.data/', 'bench/results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed parameters are kept for their position (Nest pipes, jest tables).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: climbsInto(['database']), message: 'common/ imports nothing from database/ (docs/architecture.md, import direction).' },
            {
              regex: climbsInto([...FEATURE_FOLDERS, ...ROOT_REGISTRIES]),
              message: 'common/ imports no feature module and no feature registry; a feature depends on common/, never the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: climbsInto([...FEATURE_FOLDERS, 'database']),
              message: 'config/ imports no feature module and nothing from database/ (docs/architecture.md, import direction).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // Test bodies read untyped JSON responses (`res.body.reason`); typing each would add noise, not safety.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
