// The layering rule of eslint.config.js, run through the project's own ESLint configuration:
// lib/, plugins/ and schemas/ may not import a module; modules and app.ts may.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** The layering problems ESLint reports for `code` placed at `filePath` (an existing file, so type-aware rules can run). */
async function layeringProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('dependencies point one way', () => {
  it.each([
    ['src/lib/clock.ts', "import { accountsModule } from '../modules/accounts/index.ts';\nexport const probe = accountsModule;\n"],
    ['src/plugins/health.ts', "import { findActiveSession } from '../modules/accounts/sessions.service.ts';\nexport const probe = findActiveSession;\n"],
    ['src/schemas/common.ts', "import type { UserView } from '../modules/accounts/accounts.schemas.ts';\nexport type Probe = UserView;\n"],
  ])('%s importing a module fails the lint', async (filePath, code) => {
    expect(await layeringProblems(filePath, code)).toEqual([expect.stringMatching(/must not import a module/)]);
  }, 60_000);

  it('a module may import lib/, and app.ts may import modules', async () => {
    const moduleCode = "import { safeString } from '../../lib/strings.ts';\nexport const probe = safeString;\n";
    expect(await layeringProblems('src/modules/accounts/accounts.errors.ts', moduleCode)).toEqual([]);
    expect(await layeringProblems('src/app.ts', "import { MODULES } from './modules/index.ts';\nexport const probe = MODULES;\n")).toEqual([]);
  }, 60_000);
});
