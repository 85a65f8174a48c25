// "Open live": every run of the built table, replayed by the sandbox's core from the
// settings and animated seed in the build's sandbox.json, ends where the build's run ended
// (within 1e-4) and diverges at the same update. Run by tests/test_sandbox_core.py with
// SANDBOX_JSON set to a built sandbox.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { train } from "../../docs/javascripts/sandbox/lesson.js";
import { fromRun } from "../../docs/javascripts/sandbox/state.js";

const exported = JSON.parse(readFileSync(process.env.SANDBOX_JSON, "utf8"));

const float64 = JSON.parse(readFileSync(process.env.FLOAT64, "utf8"));

test("every run of the table replays to the build's end", (t) => {
  const slugs = Object.keys(exported.runs);
  assert.ok(slugs.length > 40, `${slugs.length} runs`);
  const sensitive = [];
  for (const slug of slugs) {
    const build = exported.runs[slug];
    const run = train(exported.data[build.data], fromRun(exported, slug), exported.lesson);
    const f64 = float64[slug];
    // the build's float32 run, unless its own rounding moves it further than that (or its
    // divergence): then the Python trainer's float64 run, within what its own rounding moves
    const sensitiveRun = f64.rounding > 1e-4 || f64.divergedAt !== build.diverged_at;
    const [want, tol, what] = sensitiveRun
      ? [f64.params, Math.max(1e-9, 10 * f64.floor), "the Python trainer's float64"]
      : [build.params, 1e-4, "the build's"];
    if (!sensitiveRun) assert.equal(run.divergedAt, build.diverged_at, `${slug}: diverged at`);
    else if (f64.divergenceHolds) assert.equal(run.divergedAt, f64.divergedAt, `${slug}: diverged at`);
    if (sensitiveRun) sensitive.push(slug);
    // A run that float32 decides and that diverges: its last steps before the blow-up grow
    // without bound (Newton on separable classes), so its end is no measure; its update is.
    if (sensitiveRun && f64.divergedAt !== null) continue;
    for (const k of [0, 1]) {
      const got = run.params.at(-1)[k];
      assert.ok(Math.abs(got - want[k]) <= tol * Math.max(1, Math.abs(want[k])),
        `${slug}: ${got} against ${what} ${want[k]}`);
    }
  }
  t.diagnostic(`${slugs.length} runs replayed; held to float64 where float32 alone moves the end: ${sensitive.join(", ") || "none"}`);
  // On the line, at most two runs; on separable classes, where float32 rounds the loss to
  // 0 and the methods that stop or blow up do so by rounding, most of them.
  const line = sensitive.filter((slug) => exported.data[exported.runs[slug].data].model === "line");
  assert.ok(line.length <= 2, `${line.length} of the line's runs are sensitive to rounding`);
});
