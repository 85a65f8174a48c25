// The sandbox's state and its URL: every control writes the state, and the state round-trips
// through the address under the command line's option names (`optimizer`, `lr`,
// `batch-size`, `momentum`, `betas`, `schedule`, `seed`, `data`, `steps`, `start`, `run`).
// Pure: no DOM. A bad value is never thrown and never echoed as markup: it is reported as
// {name, value, allowed} and the default is used.

/** The settings a fresh sandbox starts from: the lesson's. */
export function defaults(exported) {
  return {
    optimizer: "sgd",
    hyper: {},
    lr: 0.1,
    batchSize: null,
    sampler: "random",
    schedule: "constant",
    seed: "0",
    data: "lesson",
    steps: 100,
    start: [...exported.lesson.a0],
  };
}

/** The hyper-parameters of `optimizer`, its defaults filled in. */
export function hyperOf(exported, optimizer, given = {}) {
  const o = exported.optimizers.find((x) => x.name === optimizer);
  return Object.fromEntries(o.hyper.map((h) => [h.name, given[h.name] ?? h.default]));
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/; // a plain decimal or scientific literal
const WHOLE = /^\d+$/;

function number(text) {
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** Whether each number of `value` lies in the hyper-parameter's range. */
export function hyperOk(h, value) {
  const values = h.count === 1 ? [value] : value;
  if (!Array.isArray(values) || values.length !== h.count) return false;
  return values.every((v) => {
    if (!Number.isFinite(v) || (h.whole && !Number.isInteger(v))) return false;
    const above = h.lowOpen ? v > h.low : v >= h.low;
    const below = h.high === null ? true : h.highOpen ? v < h.high : v <= h.high;
    return above && below;
  });
}

/** What batch sizes `optimizer` can take on `data`, in words; null if `batchSize` is one. */
export function batchProblem(exported, optimizer, batchSize, n) {
  const o = exported.optimizers.find((x) => x.name === optimizer);
  if (o.fullBatchOnly && batchSize !== null) return `all: ${o.title} needs the same loss at every update`;
  if (batchSize !== null && (batchSize < o.minBatch || batchSize > n)) {
    return `all, or a whole number from ${o.minBatch} to ${n} for ${o.title}`;
  }
  return null;
}

/** The state a query string asks for: {settings, runs, problems}. `runs` are the table's
 * runs named by `run=` (the first is the live one, the others pinned beside it). A setting
 * the query leaves out, or gives a value it cannot take, keeps `base`'s: the defaults for an
 * address, the settings in force for the page's own controls, which are read through here
 * too, so that a control and the address are checked by one set of rules. */
export function parse(query, exported, base = defaults(exported)) {
  const params = new URLSearchParams(query);
  const problems = [];
  const bad = (name, value, allowed) => problems.push({ name, value: String(value).slice(0, 40), allowed });
  const settings = structuredClone(base);
  const runs = [];
  for (const slug of params.getAll("run").slice(0, 5)) {
    if (Object.hasOwn(exported.runs, slug)) runs.push(slug);
    else bad("run", slug, "the name of a run of the results table");
  }
  if (runs.length) Object.assign(settings, fromRun(exported, runs[0]));

  const names = exported.optimizers.map((o) => o.name);
  const optimizer = params.get("optimizer");
  if (optimizer !== null) {
    if (names.includes(optimizer)) {
      if (optimizer !== settings.optimizer) settings.hyper = {};
      settings.optimizer = optimizer;
    } else bad("optimizer", optimizer, `one of ${names.join(", ")}`);
  }
  const o = exported.optimizers.find((x) => x.name === settings.optimizer);
  const everyHyper = new Map(exported.optimizers.flatMap((x) => x.hyper.map((h) => [h.name, h])));
  for (const h of everyHyper.values()) {
    const text = params.get(h.name);
    if (text === null) continue;
    if (!o.hyper.some((mine) => mine.name === h.name)) {
      bad(h.name, text, `left out: ${settings.optimizer} takes no ${h.name}`);
      continue;
    }
    const value = h.count === 1 ? number(text) : text.split(",").map(number);
    if (hyperOk(h, value)) settings.hyper[h.name] = value;
    else bad(h.name, text, h.allowed + (h.count > 1 ? ", separated by a comma" : ""));
  }
  settings.hyper = hyperOf(exported, settings.optimizer, settings.hyper);

  const lr = params.get("lr");
  if (lr !== null) {
    const v = number(lr);
    if (Number.isFinite(v) && v > 0) settings.lr = v;
    else bad("lr", lr, "a number greater than 0, such as 0.1 or 1e-3");
  }
  const data = params.get("data");
  if (data !== null) {
    if (Object.hasOwn(exported.data, data)) settings.data = data;
    else bad("data", data, `one of ${Object.keys(exported.data).join(", ")}`);
  }
  const n = exported.data[settings.data].n;
  const bs = params.get("batch-size");
  if (bs !== null) {
    const v = bs === "all" ? null : WHOLE.test(bs) ? Number(bs) : NaN;
    if (Number.isNaN(v)) bad("batch-size", bs, `all, or a whole number from 1 to ${n}`);
    else settings.batchSize = v;
  }
  const problem = batchProblem(exported, settings.optimizer, settings.batchSize, n);
  if (problem) {
    if (bs !== null) bad("batch-size", bs, problem);
    settings.batchSize = null; // every optimizer takes the full batch
  }
  for (const [name, list] of [["sampler", exported.lesson.samplers], ["schedule", exported.schedules]]) {
    const v = params.get(name);
    if (v === null) continue;
    if (list.includes(v)) settings[name] = v;
    else bad(name, v, `one of ${list.join(", ")}`);
  }
  const seed = params.get("seed");
  if (seed !== null) {
    if (WHOLE.test(seed) && BigInt(seed) <= BigInt(exported.lesson.maxSeed)) settings.seed = String(BigInt(seed));
    else bad("seed", seed, `a whole number from 0 to ${exported.lesson.maxSeed}`);
  }
  const steps = params.get("steps");
  if (steps !== null) {
    const v = WHOLE.test(steps) ? Number(steps) : NaN;
    if (v >= 1 && v <= exported.lesson.maxSteps) settings.steps = v;
    else bad("steps", steps, `a whole number from 1 to ${exported.lesson.maxSteps}`);
  }
  const start = params.get("start");
  if (start !== null) {
    const v = start.split(",").map(number);
    if (v.length === 2 && v.every((x) => Number.isFinite(x) && Math.abs(x) <= 1e3)) settings.start = v;
    else bad("start", start, "two numbers, slope and intercept, separated by a comma, each from -1000 to 1000");
  }
  for (const name of params.keys()) {
    const known = ["run", "optimizer", "lr", "data", "batch-size", "sampler", "schedule", "seed", "steps", "start"];
    const hypers = exported.optimizers.flatMap((x) => x.hyper.map((h) => h.name));
    if (!known.includes(name) && !hypers.includes(name)) bad(name, params.get(name), "no such setting: it was ignored");
  }
  return { settings, runs, problems };
}

/** The settings of a run of the table, as the build made it (its animated seed). */
export function fromRun(exported, slug) {
  const r = exported.runs[slug];
  return {
    optimizer: r.optimizer,
    hyper: hyperOf(exported, r.optimizer, r.hyper),
    lr: r.lr,
    batchSize: r.batch_size,
    sampler: r.sampler,
    schedule: r.schedule,
    seed: String(r.seed),
    data: r.data,
    steps: r.steps,
    start: [...exported.lesson.a0],
  };
}

/** The query string of `settings`: only what differs from the defaults, the optimizer's
 * hyper-parameters always (so a link says what it ran). */
export function serialize(settings, exported) {
  const d = defaults(exported);
  const q = new URLSearchParams();
  if (settings.optimizer !== d.optimizer) q.set("optimizer", settings.optimizer);
  q.set("lr", String(settings.lr));
  for (const [name, v] of Object.entries(settings.hyper)) q.set(name, Array.isArray(v) ? v.join(",") : String(v));
  q.set("batch-size", settings.batchSize === null ? "all" : String(settings.batchSize));
  for (const name of ["sampler", "schedule", "seed", "data", "steps"]) {
    if (String(settings[name]) !== String(d[name])) q.set(name, String(settings[name]));
  }
  if (settings.start[0] !== d.start[0] || settings.start[1] !== d.start[1]) q.set("start", settings.start.join(","));
  return q.toString();
}
