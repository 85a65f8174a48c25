// The sandbox's core against the Python trainer's runs (fixtures written by
// tests/test_sandbox_core.py, which runs this file: `node --test tests/js/oracle.mjs` with
// SANDBOX_FIXTURES set to their directory).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { SCHEDULES, UPDATES, train } from "../../docs/javascripts/sandbox/lesson.js";

const where = process.env.SANDBOX_FIXTURES;
if (!where) throw new Error("SANDBOX_FIXTURES is not set: run tests/test_sandbox_core.py");
const read = (name) => JSON.parse(readFileSync(join(where, name), "utf8"));
const exported = read("sandbox.json");

function closeTo(got, want, rel, what) {
  const scale = Math.max(1, Math.abs(want));
  assert.ok(Math.abs(got - want) <= rel * scale, `${what}: ${got} against ${want}`);
}

function replay(fixture, batches) {
  const data = exported.data[fixture.data];
  return train(data, fixture.settings, exported.lesson, batches);
}

test("every optimizer and schedule of the registry has a twin here, and no other", () => {
  assert.deepEqual(Object.keys(UPDATES).sort(), exported.optimizers.map((o) => o.name).sort());
  assert.deepEqual(Object.keys(SCHEDULES).sort(), [...exported.schedules].sort());
});

test("float64: the same numbers at every update, within 1e-9 relative", (t) => {
  const runs = read("float64.json");
  assert.ok(runs.length > 200);
  let widened = 0;
  for (const want of runs) {
    const run = replay(want, want.batches);
    const what = `${want.slug} on ${want.data}`;
    assert.equal(run.divergedAt, want.divergedAt, `${what}: diverged at`);
    assert.equal(run.params.length, want.params.length, `${what}: steps run`);
    let wide = false;
    want.params.forEach((p, k) => {
      // Where the Python run itself moves by more than that when only its rounding changes
      // (its floor, measured by the fixture), by at most ten times that.
      const slack = Math.max(1e-9, 10 * (want.floor[k] ?? 0));
      wide ||= slack > 1e-9;
      closeTo(run.params[k][0], p[0], slack, `${what}, slope after update ${k}`);
      closeTo(run.params[k][1], p[1], slack, `${what}, intercept after update ${k}`);
      closeTo(run.loss[k], want.loss[k], Math.max(1e-9, slack * 1e3), `${what}, loss at ${k}`);
    });
    widened += wide;
    assert.deepEqual(run.gradients, want.gradients, `${what}: gradient evaluations`);
    assert.equal(run.hessians, want.hessians, `${what}: Hessian evaluations`);
  }
  t.diagnostic(`${runs.length} runs; ${widened} held to their rounding floor beyond 1e-9`);
  assert.ok(widened <= runs.length / 10, `${widened} runs are not held to 1e-9`);
});

test("the table's float32 runs: the same batches from the same seed, the end within 1e-4", () => {
  for (const want of read("float32.json")) {
    const run = replay(want, null); // batches drawn here, by the twin of torch's generator
    const what = want.slug;
    if (want.batches !== null) {
      assert.deepEqual(run.batches, want.batches.slice(0, run.t), `${what}: batches`);
    }
    if (want.endHolds === false) continue; // held by the replay test, against float64
    assert.equal(run.divergedAt, want.divergedAt, `${what}: diverged at`);
    const end = want.params.at(-1);
    closeTo(run.params.at(-1)[0], end[0], 1e-4, `${what}: final slope`);
    closeTo(run.params.at(-1)[1], end[1], 1e-4, `${what}: final intercept`);
  }
});
