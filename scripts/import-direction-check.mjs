// Proves the import-direction rules of eslint.config.mjs still bite: lints deliberate bad imports
// (never written to disk) as if they sat in src/common/, src/config/ and feature folders, and fails
// unless each is refused and the allowed ones pass. Run by `npm run lint`, so CI runs it.
import { ESLint } from 'eslint';

const eslint = new ESLint();
const cases = [
  { file: 'src/common/unit-of-work/bad.ts', from: '../../database/orm-options', refused: true },
  { file: 'src/common/metrics/bad.ts', from: '../../task-instances/task-instance.entity', refused: true },
  { file: 'src/common/bad.ts', from: '../xcom/xcom.service', refused: true },
  { file: 'src/common/problem/bad.ts', from: '../../features', refused: true },
  { file: 'src/config/bad.ts', from: '../hitl/hitl.feature', refused: true },
  { file: 'src/config/bad.ts', from: '../database/orm-options', refused: true },
  { file: 'src/common/unit-of-work/ok.ts', from: '../problem/domain-error', refused: false },
  { file: 'src/common/unit-of-work/ok.ts', from: '../../config/app-config', refused: false },
  { file: 'src/xcom/ok.ts', from: '../database/orm-options', refused: false },
  { file: 'src/config/bad.ts', from: '../features', refused: true },
  { file: 'src/config/bad.ts', from: '../settings', refused: true },
  // Feature to feature: only what the manifest's dependsOn declares, only top-level files.
  { file: 'src/xcom/bad.ts', from: '../hitl/hitl.service', refused: true },
  { file: 'src/xcom/dto/bad.ts', from: '../../variables/variables.service', refused: true },
  { file: 'src/secrets/bad.ts', from: '../task-instances/task-instance.entity', refused: true },
  { file: 'src/xcom/bad.ts', from: '../task-instances/lifecycle/lifecycle.service', refused: true },
  { file: 'src/assets/dto/bad.ts', from: '../../task-instances/rtif/rtif.service', refused: true },
  { file: 'src/hitl/bad.ts', from: '../features', refused: true },
  { file: 'src/hitl/bad.ts', from: '../app.module', refused: true },
  { file: 'src/xcom/ok.ts', from: '../task-instances/task-instance.lookup', refused: false },
  { file: 'src/assets/ok.ts', from: '../task-instances/task-success.hooks', refused: false },
  { file: 'src/dag-runs/dto/ok.ts', from: '../../dags/dags.service', refused: false },
  { file: 'src/task-instances/lifecycle/ok.ts', from: '../rtif/rtif.service', refused: false },
  { file: 'src/variables/ok.ts', from: '../migrations/Migration20261206120000_variables_connections', refused: false },
];
const wrong = [];
for (const c of cases) {
  const [result] = await eslint.lintText(`import { x } from '${c.from}';\nexport const y = x;\n`, { filePath: c.file });
  const refused = result.messages.some((m) => m.ruleId === 'no-restricted-imports');
  if (refused !== c.refused) wrong.push(`${c.file} importing ${c.from}: expected ${c.refused ? 'refused' : 'allowed'}`);
}
if (wrong.length > 0) {
  console.error(`import-direction rule:\n  ${wrong.join('\n  ')}`);
  process.exit(1);
}
console.log(`import-direction rule: ${cases.length} cases as expected`);
