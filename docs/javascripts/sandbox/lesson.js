// The lesson in JavaScript: the twin of sgd_lib/lesson (data, each problem's loss with its
// gradient and Hessian, the batch sampler, every optimizer and schedule, the divergence
// rule), pure functions with no DOM. Names, defaults and limits come from the JSON the build exports (sandbox.json); the
// tests feed this the Python runs' batches and hold it equal to them, update by update.
// Arithmetic is in float64; `a` is [slope, intercept], `x` the data's x column (its bias
// column of ones is implicit), `rows` a batch's indices into it (null: every point).

import { makeGenerator, rand } from "./rng.js";

// ---- the loss -------------------------------------------------------------------------

function eachRow(n, rows, fn) {
  if (rows === null) for (let i = 0; i < n; i++) fn(i);
  else for (const i of rows) fn(i);
}

/** The mean squared error of the line `a` on the rows of (x, y). */
export function mse(data, a, rows = null) {
  let sum = 0;
  eachRow(data.x.length, rows, (i) => {
    const r = data.x[i] * a[0] + a[1] - data.y[i];
    sum += r * r;
  });
  return sum / (rows === null ? data.x.length : rows.length);
}

/** The gradient of that MSE: (2/B) Σ (x·a − y) x. */
function mseGradient(data, a, rows = null) {
  let g0 = 0;
  let g1 = 0;
  eachRow(data.x.length, rows, (i) => {
    const r = data.x[i] * a[0] + a[1] - data.y[i];
    g0 += r * data.x[i];
    g1 += r;
  });
  const k = 2 / (rows === null ? data.x.length : rows.length);
  return [k * g0, k * g1];
}

/** Its Hessian, (2/B) x_bᵀ x_b, the same at every `a`: [[h00, h01], [h10, h11]]. */
function mseHessian(data, rows = null) {
  let sxx = 0;
  let sx = 0;
  eachRow(data.x.length, rows, (i) => {
    sxx += data.x[i] * data.x[i];
    sx += data.x[i];
  });
  const b = rows === null ? data.x.length : rows.length;
  const k = 2 / b;
  return [[k * sxx, k * sx], [k * sx, k * b]];
}

// The cross-entropy of two classes (labels 0 and 1), `x·a` their log-odds: the twin of
// sgd_lib/lesson/logistic.py. softplus(z) - y z, shifted so that exp never overflows.
const sigmoid = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function softplus(z) {
  const m = Math.max(z, 0);
  return m + Math.log(Math.exp(-m) + Math.exp(z - m));
}

/** The binary cross-entropy of the rows of (x, y), log-odds z = x·a[0] + a[1]. */
export function crossEntropy(data, a, rows = null) {
  let sum = 0;
  eachRow(data.x.length, rows, (i) => {
    const z = data.x[i] * a[0] + a[1];
    sum += softplus(z) - data.y[i] * z;
  });
  return sum / (rows === null ? data.x.length : rows.length);
}

function crossEntropyGradient(data, a, rows = null) {
  let g0 = 0;
  let g1 = 0;
  eachRow(data.x.length, rows, (i) => {
    const r = sigmoid(data.x[i] * a[0] + a[1]) - data.y[i];
    g0 += r * data.x[i];
    g1 += r;
  });
  const b = rows === null ? data.x.length : rows.length;
  return [g0 / b, g1 / b];
}

/** (1/B) Σ p(1 - p) [x, 1]ᵀ[x, 1] at `a`: it changes with `a`. */
function crossEntropyHessian(data, rows, a) {
  let h00 = 0;
  let h01 = 0;
  let h11 = 0;
  eachRow(data.x.length, rows, (i) => {
    const p = sigmoid(data.x[i] * a[0] + a[1]);
    const w = p * (1 - p);
    h00 += w * data.x[i] * data.x[i];
    h01 += w * data.x[i];
    h11 += w;
  });
  const b = rows === null ? data.x.length : rows.length;
  return [[h00 / b, h01 / b], [h01 / b, h11 / b]];
}

/** Each model's loss, gradient and Hessian (sgd_lib.lesson.problems): "line", the MSE of
 * the line; "probability", the cross-entropy of the classes. A data set names its model. */
export const MODELS = {
  line: { loss: mse, gradient: mseGradient, hessian: (data, rows) => mseHessian(data, rows) },
  probability: { loss: crossEntropy, gradient: crossEntropyGradient, hessian: crossEntropyHessian },
};
const model = (data) => MODELS[data.model ?? "line"];

/** The data's own loss (the MSE, or the cross-entropy) of `a` on the rows. */
export const loss = (data, a, rows = null) => model(data).loss(data, a, rows);
/** Its gradient: what loss.backward() leaves in a.grad. */
export const gradient = (data, a, rows = null) => model(data).gradient(data, a, rows);
/** Its Hessian at `a`: [[h00, h01], [h10, h11]]. */
export const hessian = (data, rows = null, a = null) => model(data).hessian(data, rows, a);

/** The points one update sees, counting the gradients and Hessians asked of them (as
 * training.Batch does: the first gradient is the one autograd made). */
export function makeBatch(data, rows) {
  return {
    data,
    rows,
    gradients: 1,
    hessians: 0,
    gradient(a) {
      this.gradients += 1;
      return gradient(data, a, rows);
    },
    hessian(a) {
      this.hessians += 1;
      return hessian(data, rows, a);
    },
  };
}

// ---- the optimizers: update(a, g, state, lr, batch, hyper), `a` changed in place ------

const dot = (u, w) => u[0] * w[0] + u[1] * w[1];

function velocity(state) {
  return (state.v ??= [0, 0]);
}

function squares(state) {
  return (state.s ??= [0, 0]);
}

const LBFGS_TOLERANCE_GRAD = 1e-7; // torch.optim.LBFGS's defaults, as in second_order.py
const LBFGS_TOLERANCE_CHANGE = 1e-9;

export const UPDATES = {
  sgd(a, g, state, lr) {
    for (const i of [0, 1]) a[i] -= lr * g[i];
  },
  momentum(a, g, state, lr, batch, { momentum }) {
    const v = velocity(state);
    for (const i of [0, 1]) {
      v[i] = v[i] * momentum + g[i];
      a[i] -= lr * v[i];
    }
  },
  nesterov(a, g, state, lr, batch, { momentum }) {
    const v = velocity(state);
    for (const i of [0, 1]) {
      v[i] = v[i] * momentum + g[i];
      a[i] -= lr * (g[i] + momentum * v[i]);
    }
  },
  rmsprop(a, g, state, lr, batch, { alpha, eps }) {
    const s = squares(state);
    for (const i of [0, 1]) {
      s[i] = s[i] * alpha + (1 - alpha) * g[i] ** 2;
      a[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + eps);
    }
  },
  adam(a, g, state, lr, batch, { betas, eps }) {
    const [beta1, beta2] = betas;
    const v = velocity(state);
    const s = squares(state);
    const t = (state.t = (state.t ?? 0) + 1);
    for (const i of [0, 1]) {
      v[i] = v[i] * beta1 + (1 - beta1) * g[i];
      s[i] = s[i] * beta2 + (1 - beta2) * g[i] ** 2;
      const vHat = v[i] / (1 - beta1 ** t);
      const sHat = s[i] / (1 - beta2 ** t);
      a[i] -= (lr * vHat) / (Math.sqrt(sHat) + eps);
    }
  },
  newton(a, g, state, lr, batch) {
    // H⁻¹ ∇ by Cramer's rule; det H = 0 (a batch at one x) makes the step infinite: the run
    // has diverged at this update, as in optimizers.newton.
    const [[h00, h01], [h10, h11]] = batch.hessian(a);
    const det = h00 * h11 - h01 * h10;
    const step = [h11 * g[0] - h01 * g[1], h00 * g[1] - h10 * g[0]];
    for (const i of [0, 1]) a[i] -= (lr * step[i]) / det;
  },
  cg(a, g, state, lr, batch) {
    const k = (state.k = (state.k ?? 0) + 1);
    let d = [-g[0], -g[1]];
    if (k % 2 !== 1) {
      const beta = dot(g, g) / dot(state.g, state.g); // Fletcher-Reeves
      d = [d[0] + beta * state.d[0], d[1] + beta * state.d[1]];
    }
    const g2 = batch.gradient([a[0] + d[0], a[1] + d[1]]);
    const hd = [g2[0] - g[0], g2[1] - g[1]];
    const curvature = dot(d, hd);
    const gd = dot(g, d);
    // No step once its predicted gain (g·d)²/(2 d·Hd) is below the loss's own rounding (2⁻⁵²
    // of it, in float64): g and Hd are then rounding noise (optimizers.cg).
    const useful = curvature > 0 && gd ** 2 > 2 * curvature * loss(batch.data, a, batch.rows) * 2 ** -52;
    const alpha = -gd / (useful ? curvature : Infinity);
    for (const i of [0, 1]) a[i] += lr * alpha * d[i];
    state.d = d;
    state.g = [g[0], g[1]];
  },
  lbfgs(a, g, state, lr, batch, { history }) {
    // An update that left `a` where it was is repeated by every later one at a rate no
    // higher: it is skipped, not redone by walking every pair (optimizers.lbfgs).
    if (lr <= (state.stillUpTo ?? -Infinity)) return;
    if (Math.max(Math.abs(g[0]), Math.abs(g[1])) <= LBFGS_TOLERANCE_GRAD) return;
    const sList = (state.s ??= []);
    const yList = (state.y ??= []);
    let d;
    const first = state.d === undefined;
    if (first) {
      d = [-g[0], -g[1]];
      state.hDiag = 1.0;
    } else {
      const y = [g[0] - state.g[0], g[1] - state.g[1]];
      const s = [state.d[0] * state.t, state.d[1] * state.t];
      const ys = dot(y, s);
      if (ys > 1e-10) {
        if (sList.length === history) {
          sList.shift();
          yList.shift();
        }
        sList.push(s);
        yList.push(y);
        state.hDiag = ys / dot(y, y);
      }
      let q = [-g[0], -g[1]];
      const alphas = [];
      for (let i = sList.length - 1; i >= 0; i--) {
        const alphaI = dot(sList[i], q) / dot(yList[i], sList[i]);
        alphas.push(alphaI);
        q = [q[0] - alphaI * yList[i][0], q[1] - alphaI * yList[i][1]];
      }
      d = [q[0] * state.hDiag, q[1] * state.hDiag];
      for (let i = 0; i < sList.length; i++) {
        const alphaI = alphas[sList.length - 1 - i];
        const betaI = dot(yList[i], d) / dot(yList[i], sList[i]);
        d = [d[0] + (alphaI - betaI) * sList[i][0], d[1] + (alphaI - betaI) * sList[i][1]];
      }
    }
    // The first step is kept short (torch.optim.LBFGS's rule): the gradient has no scale yet.
    const t = first ? Math.min(1.0, 1.0 / (Math.abs(g[0]) + Math.abs(g[1]))) * lr : lr;
    state.d = d;
    state.t = t;
    state.g = [g[0], g[1]];
    if (dot(g, d) > -LBFGS_TOLERANCE_CHANGE) {
      state.stillUpTo = Infinity; // not downhill (any more): no step at any rate
      return;
    }
    const before = [a[0], a[1]];
    for (const i of [0, 1]) a[i] += t * d[i];
    if (a[0] === before[0] && a[1] === before[1]) state.stillUpTo = t; // too short to show
  },
};

// ---- the schedules: the rate of update t (1, 2, ...) of a run of `steps` ---------------

export const SCHEDULES = {
  constant: (lr) => lr,
  step: (lr, t, steps) => lr * 0.1 ** Math.floor((t - 1) / Math.ceil(steps / 3)),
  inverse: (lr, t, steps) => lr / (1 + (t - 1) / Math.max(1, Math.floor(steps / 100))),
  cosine: (lr, t, steps) => (lr * (1 + Math.cos((Math.PI * (t - 1)) / steps))) / 2,
};

// ---- the batches ------------------------------------------------------------------------

/** The rows of each update in turn, as training.sample_batches draws them from torch's
 * generator `g`: "random", the batchSize points with the smallest of n fresh draws;
 * "epoch", one shuffle cut into n // batchSize batches, then another. null: every row. */
export function* sampleBatches(n, batchSize, sampler, g) {
  if (batchSize === null) {
    for (;;) yield null;
  }
  const byDraw = (u) => Array.from(u.keys()).sort((i, j) => u[i] - u[j] || i - j);
  if (sampler === "random") {
    for (;;) yield byDraw(rand(g, n)).slice(0, batchSize);
  }
  for (;;) {
    const order = byDraw(rand(g, n));
    for (let k = 0; k < Math.floor(n / batchSize); k++) {
      yield order.slice(k * batchSize, (k + 1) * batchSize);
    }
  }
}

// ---- training ---------------------------------------------------------------------------

/** A run at its initial guess, ready to step: settings {optimizer, hyper, lr, batchSize,
 * sampler, schedule, steps, seed, start}; `lesson` is the exported constants (a0, blowup).
 * `batches`, if given, are the rows of each update (a Python run's), used instead of
 * drawing them. */
export function startRun(data, settings, lesson, batches = null) {
  const a = [...(settings.start ?? lesson.a0)];
  const initial = loss(data, a);
  const run = {
    data,
    settings: { ...settings },
    a,
    state: {},
    t: 0,
    limit: lesson.blowup * initial,
    params: [[...a]],
    loss: [initial],
    batchLoss: [],
    batches: [],
    gradients: [0],
    hessians: 0,
    divergedAt: null,
    given: batches,
  };
  redraw(run);
  return run;
}

/** Draw the batches afresh from the run's seed (after a change of batch size or sampler,
 * the generator goes on from where it is, as a new sampler would). */
export function redraw(run, generator = null) {
  const s = run.settings;
  run.generator = generator ?? makeGenerator(s.seed);
  run.rows = sampleBatches(run.data.x.length, s.batchSize, s.sampler, run.generator);
}

/** Whether a run's full-data loss is still sane: finite and under the blow-up limit. */
export const sane = (loss, limit) => Number.isFinite(loss) && loss <= limit;

/** One update of the lesson's loop; false (and nothing done) once the run has diverged. */
export function step(run) {
  if (run.divergedAt !== null) return false;
  const s = run.settings;
  const t = run.t + 1;
  const rows = run.given ? run.given[t - 1] ?? null : run.rows.next().value;
  const batch = makeBatch(run.data, rows);
  const g = gradient(run.data, run.a, rows); // what loss.backward() leaves in a.grad
  const batchLoss = loss(run.data, run.a, rows);
  const lrT = SCHEDULES[s.schedule](s.lr, t, s.steps);
  UPDATES[s.optimizer](run.a, g, run.state, lrT, batch, s.hyper);
  const full = loss(run.data, run.a);
  if (!sane(full, run.limit)) {
    run.divergedAt = t;
    run.a = [...run.params.at(-1)]; // a diverged run stops before the update that left
    return false;
  }
  run.t = t;
  run.params.push([...run.a]);
  run.loss.push(full);
  run.batchLoss.push(batchLoss);
  run.batches.push(rows);
  run.gradients.push(run.gradients.at(-1) + batch.gradients);
  run.hessians += batch.hessians;
  return true;
}

/** A whole run, as training.train makes it. */
export function train(data, settings, lesson, batches = null) {
  const run = startRun(data, settings, lesson, batches);
  while (run.t < settings.steps && step(run));
  return run;
}

/** The distance of `a` from the answer `ols` (the least-squares line, the cross-entropy's
 * minimiser); null where there is none (separable classes). */
export const distance = (a, ols) => (ols ? Math.hypot(a[0] - ols[0], a[1] - ols[1]) : null);
