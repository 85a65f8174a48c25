// The sandbox's URL state (run by tests/test_sandbox_core.py with SANDBOX_FIXTURES set).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { parse, serialize } from "../../docs/javascripts/sandbox/state.js";

const exported = JSON.parse(readFileSync(join(process.env.SANDBOX_FIXTURES, "sandbox.json"), "utf8"));

test("a link round-trips every setting", () => {
  const query = "optimizer=adam&lr=0.003&betas=0.8,0.99&eps=1e-7&batch-size=16&sampler=epoch" +
    "&schedule=cosine&seed=18446744073709551615&data=moved&steps=250&start=2.5,-4";
  const { settings, problems } = parse(query, exported);
  assert.deepEqual(problems, []);
  assert.deepEqual(settings.hyper, { betas: [0.8, 0.99], eps: 1e-7 });
  assert.equal(settings.batchSize, 16);
  assert.equal(settings.seed, "18446744073709551615");
  assert.deepEqual(settings.start, [2.5, -4]);
  assert.deepEqual(parse(serialize(settings, exported), exported).settings, settings);
});

test("batch-size=all is the full batch", () => {
  assert.equal(parse("batch-size=all", exported).settings.batchSize, null);
});

test("each bad value is named with what is allowed, and the default is used", () => {
  const cases = [
    ["lr=-1", "lr", 0.1, (s) => s.lr],
    ["lr=abc", "lr", 0.1, (s) => s.lr],
    ["lr=1_0", "lr", 0.1, (s) => s.lr],
    ["optimizer=sgdd", "optimizer", "sgd", (s) => s.optimizer],
    ["batch-size=0", "batch-size", null, (s) => s.batchSize],
    ["batch-size=101", "batch-size", null, (s) => s.batchSize],
    ["optimizer=cg&batch-size=16", "batch-size", null, (s) => s.batchSize],
    ["optimizer=newton&batch-size=1", "batch-size", null, (s) => s.batchSize],
    ["optimizer=momentum&momentum=1", "momentum", 0.9, (s) => s.hyper.momentum],
    ["momentum=0.5", "momentum", undefined, (s) => s.hyper.momentum],
    ["optimizer=adam&betas=0.9", "betas", "0.9,0.999", (s) => s.hyper.betas.join(",")],
    ["optimizer=lbfgs&history=2.5", "history", 100, (s) => s.hyper.history],
    ["seed=18446744073709551616", "seed", "0", (s) => s.seed],
    ["seed=-1", "seed", "0", (s) => s.seed],
    ["steps=0", "steps", 100, (s) => s.steps],
    ["data=<img src=x onerror=alert(1)>", "data", "lesson", (s) => s.data],
    ["start=1", "start", "-1,1", (s) => s.start.join(",")],
    ["run=nope", "run", "sgd", (s) => s.optimizer],
    ["schedule=linear", "schedule", "constant", (s) => s.schedule],
    ["colour=red", "colour", 0.1, (s) => s.lr],
  ];
  for (const [query, name, want, get] of cases) {
    const { settings, problems } = parse(query, exported);
    assert.equal(problems.length, 1, query);
    assert.equal(problems[0].name, name, query);
    assert.ok(problems[0].allowed.length > 5, query);
    assert.equal(get(settings), want, query);
  }
});

test("run=SLUG is the table's run as the build made it, with its animated seed", () => {
  const [slug, run] = Object.entries(exported.runs).find(([, r]) => r.batch_size === 16);
  const { settings, runs } = parse(`run=${encodeURIComponent(slug)}`, exported);
  assert.deepEqual(runs, [slug]);
  assert.equal(settings.seed, String(run.seed));
  assert.equal(settings.batchSize, 16);
  assert.equal(settings.lr, run.lr);
});

test("the page's controls go through the same checks, keeping the settings in force", () => {
  // readSettings spells the controls as an address and parses it over the current settings
  const base = parse("optimizer=momentum&momentum=0.5&lr=0.2&batch-size=16&seed=7", exported).settings;
  const kept = [
    ["lr=abc", (s) => s.lr, 0.2],
    ["lr=", (s) => s.lr, 0.2],
    ["optimizer=momentum&momentum=1", (s) => s.hyper.momentum, 0.5],
    ["batch-size=2.5", (s) => s.batchSize, 16],
    ["seed=x", (s) => s.seed, "7"],
  ];
  for (const [query, get, want] of kept) {
    const { settings, problems } = parse(query, exported, base);
    assert.equal(problems.length, 1, query);
    assert.equal(get(settings), want, query);
  }
  // the same optimizer keeps its hyper-parameters; another starts from its own defaults
  assert.equal(parse("optimizer=momentum", exported, base).settings.hyper.momentum, 0.5);
  assert.deepEqual(parse("optimizer=adam", exported, base).settings.hyper, { betas: [0.9, 0.999], eps: 1e-8 });
  // a batch size the new optimizer cannot take is the full batch, and said
  const cg = parse("optimizer=cg&batch-size=16", exported, base);
  assert.equal(cg.settings.batchSize, null);
  assert.equal(cg.problems[0].name, "batch-size");
  // base is not changed
  assert.equal(base.lr, 0.2);
});
