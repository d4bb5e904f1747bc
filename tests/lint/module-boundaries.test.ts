// Module boundaries: another module is imported only through its index.ts (the ESLint rule of
// eslint.config.js, run here on probes), and the modules' imports form no cycle.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const MODULES_DIR = path.resolve('src/modules');
const eslint = new ESLint();

async function boundaryProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

/** module name → the other modules its files import. */
async function moduleGraph(): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  const entries = await readdir(MODULES_DIR, { withFileTypes: true });
  for (const entry of entries.filter((item) => item.isDirectory())) {
    const targets = new Set<string>();
    for (const file of await readdir(path.join(MODULES_DIR, entry.name))) {
      const text = await readFile(path.join(MODULES_DIR, entry.name, file), 'utf8');
      for (const [, target] of text.matchAll(/from '\.\.\/([a-z-]+)\//g)) if (target !== entry.name) targets.add(target!);
    }
    graph.set(entry.name, targets);
  }
  return graph;
}

/** A cycle in the graph as a path of names, or null. */
function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('module boundaries', () => {
  it('importing another module’s internal file fails the lint; its index.ts, lib/ and the module’s own files do not', async () => {
    const deep = "import { findActiveSession } from '../accounts/sessions.service.ts';\nexport const probe = findActiveSession;\n";
    expect(await boundaryProblems('src/modules/media/media.routes.ts', deep)).toEqual([expect.stringMatching(/only through its index\.ts/)]);
    const allowed = [
      "import { findActiveSession } from '../accounts/index.ts';",
      "import { safeString } from '../../lib/strings.ts';",
      "import * as queries from './media.queries.ts';",
      "import type { ModuleDescriptor } from '../module.ts';",
    ].join('\n');
    expect(await boundaryProblems('src/modules/media/media.routes.ts', `${allowed}\nexport const probe = [findActiveSession, safeString, queries];\n`)).toEqual([]);
  }, 60_000);

  it('no module imports another module’s internals, and the modules’ imports form no cycle', async () => {
    const graph = await moduleGraph();
    expect(graph.size).toBeGreaterThan(5);
    for (const [name, targets] of graph) {
      for (const file of await readdir(path.join(MODULES_DIR, name))) {
        const text = await readFile(path.join(MODULES_DIR, name, file), 'utf8');
        const deep = [...text.matchAll(/from '\.\.\/([a-z-]+)\/([^']+)'/g)].filter(([, , target]) => target !== 'index.ts');
        expect(deep.map(([line]) => `${name}/${file}: ${line}`)).toEqual([]);
      }
      expect(targets.has(name)).toBe(false);
    }
    expect(findCycle(graph)).toBeNull();
  });

  it('the cycle check finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
  });
});
