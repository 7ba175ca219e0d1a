// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary, so
// tools that read a run's last line (CI) see the counts in a form they recognise.
import { writeSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    // vitest prints its own summary after this hook: write ours when the process ends.
    process.once("exit", () => writeSync(1, `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
