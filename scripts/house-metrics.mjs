#!/usr/bin/env node
// `node scripts/house-metrics.mjs [dir] [--files]` (default `src`; `--files` lists each carrier): the figures of issue 24's before/after
// table in docs/architecture.md, counted the same way every time so that a rerun after a merge
// compares with the first run. Plain text search, no TypeScript build:
//
//   files, lines          every *.ts file under dir, lines as `wc -l` counts them (newlines)
//   `as unknown as`       occurrences of that text, comments included (a cast explained in a
//                         comment is still a cast)
//   validation mechanisms each row is one way the code refuses input, found by a signature (the global
//                         pipe's own file, PIPE_HOME, counts in the class-validator row only); a
//                         mechanism counts when at least one file under dir carries it, and the
//                         table lists how many files do, so a migration shows up as a row falling
//                         to zero
//   body parsing limits   its own row, not a validation mechanism: the body parser refuses bytes that
//                         are no JSON document this service reads (413 size, 415 media type,
//                         malformed JSON or UTF-8, nesting depth while parsing) before any route, and
//                         so any DTO, exists to validate against. A file carrying it is not counted
//                         again in the depth-guard and middleware rows, whose signatures its parser
//                         shares; the signatures of those two rows also no longer match a setting's
//                         name (`maxJsonDepth`, `RTIF_MAX_DEPTH` in app-config.ts) or the exception
//                         filter that renders every error (`sendProblem(req, res` without `next`).
//   cross-imports         relative imports from one feature folder (src/<feature>/) into another,
//                         counted per import statement, type-only ones included; and imports that
//                         point the wrong way: common/ or config/ into a feature, database/, a
//                         registry (features.ts, app.module.ts, migrations/); common/ and config/
//                         into each other are allowed. A feature folder is any top-level folder of dir that is not
//                         common, config, database, migrations or cli.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'src';

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const MECHANISMS = [
  ['class-validator decorators on DTO classes', /from 'class-validator'/],
  ['zod schemas (config, query DTOs)', /from 'zod'/],
  ['Nest pipes (PipeTransform implementations)', /implements PipeTransform/],
  ['hand-written assert/parse functions throwing RequestValidationException', /throw new RequestValidationException\(/, { notPipe: true }],
  ['JSON depth guards after parsing (jsonDepth)', /(?<!function )jsonDepth\(/, { notParsing: true, notPipe: true }],
  [
    'Express middleware refusing bodies before Nest (sendProblem in a middleware)',
    /sendProblem\(req, res[\s\S]*NextFunction|NextFunction[\s\S]*sendProblem\(req, res/,
    { notParsing: true },
  ],
  ['param decorators that validate what they extract (createParamDecorator)', /createParamDecorator\(/],
];
/**
 * The one mechanism's own file: the global pipe (`createValidationPipe`) and its function family
 * (`validatePathParams`, `validateRequestPart(s)`) refuse, with `throw new RequestValidationException`,
 * what the DTO classes declare, and run the depth bound a class declares with `@JsonBody({ maxDepth })`.
 * Counted in the class-validator row only: its throws and its `jsonDepth` call are that mechanism
 * running, not a second one. A check anywhere else still counts.
 */
const PIPE_HOME = /export function createValidationPipe\(/;
const PARSING = ['body parsing limits before the router (not validation: see the header)', /bodyParserErrorHandler|hostileJsonGuard\(/];

const CORE_FOLDERS = new Set(['common', 'config', 'database', 'migrations', 'cli']);
const REGISTRIES = new Set(['features', 'feature-manifest', 'app.module', 'settings']);
/** The top-level entry of `dir` a path falls in (`xcom`, `common`, or a root file's name without `.ts`). */
const area = (path) => relative(resolve(root), path).split(sep)[0].replace(/\.ts$/, '');
const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']*)'/gm;

let crossFeature = 0;
let wrongWay = 0;
const crossPairs = new Map();
const wrongWayList = [];
let files = 0;
let lines = 0;
let casts = 0;
const carriers = MECHANISMS.map(() => []);
const parsers = [];
for (const path of walk(root)) {
  const text = readFileSync(path, 'utf8');
  files++;
  lines += (text.match(/\n/g) ?? []).length;
  casts += (text.match(/as unknown as/g) ?? []).length;
  const from = area(resolve(path));
  for (const [, spec] of text.matchAll(IMPORT)) {
    const to = area(resolve(dirname(path), spec));
    if (to === from) continue;
    const isFeature = (a) => !CORE_FOLDERS.has(a) && !REGISTRIES.has(a) && statSync(join(root, a), { throwIfNoEntry: false })?.isDirectory();
    if (isFeature(from) && isFeature(to)) {
      crossFeature++;
      crossPairs.set(`${from} → ${to}`, (crossPairs.get(`${from} → ${to}`) ?? 0) + 1);
    }
    const wrong = (from === 'common' || from === 'config') && to !== 'common' && to !== 'config';
    if (wrong) {
      wrongWay++;
      wrongWayList.push(`${relative(root, path)} → ${spec}`);
    }
  }
  const parsing = PARSING[1].test(text);
  if (parsing) parsers.push(relative(root, path));
  MECHANISMS.forEach(([, signature, options], i) => {
    if (signature.test(text) && !(options?.notParsing && parsing) && !(options?.notPipe && PIPE_HOME.test(text))) carriers[i].push(relative(root, path));
  });
}

const used = carriers.filter((c) => c.length > 0).length;
console.log(`| measure (${root}/) | value |`);
console.log('| --- | --- |');
console.log(`| files (*.ts) | ${files} |`);
console.log(`| lines | ${lines} |`);
console.log(`| \`as unknown as\` | ${casts} |`);
console.log(`| validation mechanisms | ${used} |`);
console.log(`| cross-imports feature → feature | ${crossFeature} |`);
console.log(`| imports the wrong way (common/, config/ → feature, database/, registry) | ${wrongWay} |`);
console.log();
console.log('| validation mechanism | files |');
console.log('| --- | --- |');
MECHANISMS.forEach(([name], i) => console.log(`| ${name} | ${carriers[i].length} |`));
console.log(`| ${PARSING[0]} | ${parsers.length} |`);
if (process.argv.includes('--files')) {
  console.log(`\nfeature → feature imports:\n  ${[...crossPairs].map(([k, n]) => `${k}: ${n}`).join('\n  ') || '(none)'}`);
  console.log(`\nwrong-way imports:\n  ${wrongWayList.join('\n  ') || '(none)'}`);
  MECHANISMS.forEach(([name], i) => console.log(`\n${name}:\n  ${carriers[i].join('\n  ') || '(none)'}`));
  console.log(`\n${PARSING[0]}:\n  ${parsers.join('\n  ') || '(none)'}`);
}
