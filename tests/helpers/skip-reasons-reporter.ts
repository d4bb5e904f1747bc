// Vitest reporter: after the summary, one line per block skipped for a missing part (see describeWith), with the reason.
import type { Reporter, TestModule, TestSuite } from 'vitest/node';

const SKIPPED = /\(skipped: (.+)\)$/;

function* suites(parent: TestModule | TestSuite): Generator<TestSuite> {
  for (const suite of parent.children.allSuites()) yield suite;
}

export default class SkipReasonsReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const lines = modules.flatMap((module) =>
      [...suites(module)]
        .filter((suite) => SKIPPED.test(suite.name))
        .map((suite) => `  ${module.moduleId.replace(`${process.cwd()}/`, '')} › ${suite.name.replace(SKIPPED, '— skipped: $1')}`),
    );
    if (lines.length > 0) process.stdout.write(`\n Skipped for a missing part of the machine:\n${lines.join('\n')}\n\n`);
  }
}
