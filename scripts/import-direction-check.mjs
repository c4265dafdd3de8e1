// Proves the import-direction rule of eslint.config.mjs still bites: lints deliberate bad imports
// (never written to disk) as if they sat in src/common/ and src/config/, and fails unless each is
// refused and the allowed ones pass. Run by `npm run lint`, so CI runs it.
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
