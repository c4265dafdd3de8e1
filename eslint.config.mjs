// ESLint (flat config) with typescript-eslint, the NestJS convention; formatting is Prettier's
// (`eslint-config-prettier` turns off the rules it owns). `npm run lint` runs both; CI runs it.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import tseslint from 'typescript-eslint';

/**
 * Each feature's `name` and `dependsOn`, read from its manifest (`src/<feature>/<feature>.feature.ts`)
 * with the TypeScript parser: the manifests stay the one place a feature declares what it uses,
 * and a feature added with a manifest is covered by the rules below without editing this file.
 */
function readManifests(srcDir) {
  const manifests = [];
  for (const folder of readdirSync(srcDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const file = join(srcDir, folder.name, `${folder.name}.feature.ts`);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found = {};
    // The manifest is the object literal a top-level `const` is initialised with; read its own properties.
    const visit = (node) => {
      if (ts.isVariableDeclaration(node) && node.initializer && ts.isObjectLiteralExpression(node.initializer)) {
        for (const property of node.initializer.properties) {
          if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
          if (property.name.text === 'name' && ts.isStringLiteral(property.initializer)) found.name = property.initializer.text;
          if (property.name.text === 'dependsOn' && ts.isArrayLiteralExpression(property.initializer))
            found.dependsOn = property.initializer.elements.map((e) => (ts.isStringLiteral(e) ? e.text : `<not a string literal in ${file}>`));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    // The rules match folders by name: a manifest named otherwise would escape them.
    if (found.name !== folder.name) throw new Error(`${file}: the manifest's name must be its folder's, ${folder.name}`);
    manifests.push({ name: found.name, dependsOn: found.dependsOn ?? [] });
  }
  return manifests;
}

// Import direction (docs/architecture.md): common/ is the house's core and knows no feature and no
// database adapter; config/ knows no feature and no registry (the composition root hands it the
// feature settings); a feature imports another only if its manifest declares it (`dependsOn`), and
// then only that feature's top-level files (its subfolders are private). A relative import that
// climbs out of the folder into one of these is refused; the folder names are matched as path
// segments, so `../database/x` and `../../task-instances/x` both are.
const MANIFESTS = readManifests(new URL('./src', import.meta.url).pathname);
const FEATURE_FOLDERS = MANIFESTS.map((m) => m.name);
const climbsInto = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const reachesInside = (folders) => `^(\\.\\./)+(${folders.join('|')})/[^/]+/`;
const ROOT_REGISTRIES = ['features', 'feature-manifest', 'settings', 'app\\.module', 'api-versions', 'migrations'];

/** The import rule of one feature folder, from its manifest. */
function featureRule({ name, dependsOn }) {
  const undeclared = FEATURE_FOLDERS.filter((f) => f !== name && !dependsOn.includes(f));
  const patterns = [
    {
      regex: climbsInto(['features', 'settings', 'app\\.module', 'api-versions']),
      message: 'A feature imports no registry: it is listed in src/features.ts, never the reverse.',
    },
  ];
  if (undeclared.length > 0)
    patterns.push({
      regex: climbsInto(undeclared),
      message: `${name} imports another feature only if its manifest (src/${name}/${name}.feature.ts) lists it in dependsOn.`,
    });
  if (dependsOn.length > 0)
    patterns.push({
      regex: reachesInside(dependsOn),
      message: "A feature imports another through that feature's top-level files only; its subfolders are private.",
    });
  return { files: [`src/${name}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

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
              regex: climbsInto([...FEATURE_FOLDERS, ...ROOT_REGISTRIES, 'database']),
              message:
                'config/ imports no feature, no registry (src/settings.ts hands it the feature settings) and nothing from database/ (docs/architecture.md, import direction).',
            },
          ],
        },
      ],
    },
  },
  ...MANIFESTS.map(featureRule),
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
