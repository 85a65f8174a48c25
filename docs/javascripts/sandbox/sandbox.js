// The sandbox page: wires the controls, the URL state, the lesson's twin and the views.
// The state lives in `settings` (and the address); every run is the lesson's loop in
// lesson.js; nothing from the address is ever inserted as markup (textContent only).

import { distance, loss, redraw, startRun, step } from "./lesson.js";
import { fromRun, parse, serialize } from "./state.js";
import { drawFit, drawLoss, drawMap, mapBackdrop, quadratic } from "./views.js";

const root = document.getElementById("sgd-sandbox");
const $ = (name) => document.querySelector(`[data-sb="${name}"]`);
const MAX_PINNED = 4;
// updates per second at each speed; "max" is as many as fit in a frame's time
const SPEEDS = { slow: 2, normal: 10, fast: 60, max: Infinity };

let exported;
let settings;
let live;
let pinned = []; // {settings, run, colour}
let playing = false;
let backdrop = null;
let lastAnnounce = 0;
let pendingAnnounce = "";
let mapScales = null;

function scheme() {
  return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
}
const colours = () => exported.themes[scheme()];
const data = () => exported.data[settings.data];

let announceTimer = null;

function say(text) {
  // the polite live region: at most once a second, and then the latest news
  pendingAnnounce = text;
  if (announceTimer !== null) return;
  const wait = Math.max(0, lastAnnounce + 1000 - performance.now());
  announceTimer = setTimeout(() => {
    $("announce").textContent = pendingAnnounce;
    lastAnnounce = performance.now();
    pendingAnnounce = "";
    announceTimer = null;
  }, wait);
}

// ---- runs -----------------------------------------------------------------------------------

function newRun(s) {
  return startRun(exported.data[s.data], s, exported.lesson);
}

function box() {
  // a square-ish window around the start and the answer (equal units show the true shape)
  const d = data();
  // (separable classes have no answer: the true line's direction stands in for it)
  const points = [settings.start, d.ols ?? d.aTrue, exported.lesson.a0];
  const lo = [0, 1].map((k) => Math.min(...points.map((p) => p[k])));
  const hi = [0, 1].map((k) => Math.max(...points.map((p) => p[k])));
  const span = Math.max(hi[0] - lo[0], hi[1] - lo[1], 2) * 0.65;
  const mid = [0, 1].map((k) => (lo[k] + hi[k]) / 2);
  return [[mid[0] - span, mid[0] + span], [mid[1] - span, mid[1] + span]];
}

function reset() {
  live = newRun(settings);
  for (const p of pinned) p.run = newRun(p.settings);
  backdrop = null;
  render();
}

function advance() {
  // one update of every run on the clock; false when none moved
  let moved = false;
  for (const run of [live, ...pinned.map((p) => p.run)]) {
    if (run.t < run.settings.steps && run.divergedAt === null) {
      moved = step(run) || moved;
      if (run === live && run.divergedAt !== null) say(`Diverged at update ${run.divergedAt}.`);
    }
  }
  if (!moved && playing) {
    setPlaying(false);
    const end = live.divergedAt === null ? `Finished ${live.t} updates, loss ${fmt(live.loss.at(-1))}.` : `Diverged at update ${live.divergedAt}.`;
    say(end);
  }
  return moved;
}

// ---- the controls ---------------------------------------------------------------------------

function fmt(v, digits = 4) {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : v.toFixed(digits);
}

function fillSelect(select, options) {
  select.replaceChildren(
    ...options.map(([value, text]) => {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      return o;
    }),
  );
}

function buildHyper() {
  const o = exported.optimizers.find((x) => x.name === settings.optimizer);
  const box = $("hyper");
  box.replaceChildren();
  for (const h of o.hyper) {
    const names = h.count === 1 ? [h.name] : ["beta1", "beta2"];
    names.forEach((name, k) => {
      const field = document.createElement("span");
      field.className = "sgd-sandbox__field";
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.id = `sgd-sb-hyper-${name}`;
      label.htmlFor = input.id;
      input.type = "number";
      input.step = "any";
      input.min = String(h.low);
      if (h.high !== null) input.max = String(h.high);
      input.value = String(h.count === 1 ? settings.hyper[h.name] : settings.hyper[h.name][k]);
      input.dataset.hyper = h.name;
      input.dataset.index = String(k);
      label.textContent = name;
      input.title = h.allowed;
      field.append(label, " ", input);
      box.append(field);
    });
  }
  if (!o.hyper.length) {
    const p = document.createElement("p");
    p.textContent = `${o.title} takes no hyper-parameters here.`;
    box.append(p);
  }
}

/** The data's loss over the plane, for the contours: the MSE's sums (fast), or the
 * cross-entropy itself. */
function surface(d, rows = null) {
  return d.model === "line" ? quadratic(d, rows) : (a0, a1) => loss(d, [a0, a1], rows);
}

/** The largest stable learning rate of the chosen method on this data, where one is known
 * (for the classes: the rate safe from anywhere, 2/L with L the Hessian's bound). */
function limit() {
  const d = data();
  if (d.model === "probability") {
    // the cross-entropy's Hessian is never steeper than its bound L: 2/L is safe from anywhere
    return settings.optimizer === "sgd" ? { lr: 2 / d.lambdaMax, words: "2/L, safe from anywhere" } : null;
  }
  if (settings.optimizer === "sgd") return { lr: 2 / d.lambdaMax, words: "2/λ_max" };
  if (settings.optimizer === "momentum") {
    const m = settings.hyper.momentum;
    return { lr: (2 * (1 + m)) / d.lambdaMax, words: "2(1+m)/λ_max" };
  }
  return null;
}

const LR_LOG = [-4, 1.5]; // the slider's range: lr from 1e-4 to about 31.6

function showSettings() {
  $("optimizer").value = settings.optimizer;
  buildHyper();
  $("lr").value = String(settings.lr);
  $("lr-slider").value = String(Math.min(LR_LOG[1], Math.max(LR_LOG[0], Math.log10(settings.lr))));
  $("lr-slider").setAttribute("aria-valuetext", `learning rate ${settings.lr}`);
  const full = settings.batchSize === null;
  $("full-batch").checked = full;
  $("batch-size").disabled = full;
  $("batch-size").max = String(data().n);
  if (!full) $("batch-size").value = String(settings.batchSize);
  $("sampler").value = settings.sampler;
  $("schedule").value = settings.schedule;
  $("data").value = settings.data;
  $("seed").value = settings.seed;
  $("steps").value = String(settings.steps);
  $("start-slope").value = String(settings.start[0]);
  $("start-intercept").value = String(settings.start[1]);
  const l = limit();
  const mark = $("lr-limit");
  const tick = root.querySelector("#sgd-sb-lr-ticks");
  tick.replaceChildren();
  if (l) {
    mark.textContent = `Stable below lr ${fmt(l.lr, 4)} = ${l.words} on this data, full batch.`;
    const o = document.createElement("option");
    o.value = String(Math.log10(l.lr));
    tick.append(o);
  } else mark.textContent = "No simple stability limit is known for this method here.";
}

function readSettings() {
  // every control, as the address would spell it, through the address's own checks: a value
  // a control cannot hold keeps the last good one, and the reason is said
  const q = new URLSearchParams();
  const optimizer = $("optimizer").value;
  q.set("optimizer", optimizer);
  q.set("lr", $("lr").value.trim());
  if (optimizer === settings.optimizer) {
    for (const [name, v] of Object.entries(settings.hyper)) {
      const inputs = [...$("hyper").querySelectorAll("input")].filter((i) => i.dataset.hyper === name);
      const typed = inputs.map((i) => i.value.trim());
      const values = Array.isArray(v) ? v.map((b, k) => typed[k] ?? String(b)) : [typed[0] ?? String(v)];
      q.set(name, values.join(","));
    }
  }
  q.set("batch-size", $("full-batch").checked ? "all" : $("batch-size").value.trim());
  for (const name of ["sampler", "schedule", "data", "seed", "steps"]) q.set(name, $(name).value.trim());
  q.set("start", `${$("start-slope").value.trim()},${$("start-intercept").value.trim()}`);
  const { settings: next, problems } = parse(q.toString(), exported, settings);
  if (problems.length) {
    const { name, value, allowed } = problems[0];
    const held = new URLSearchParams(serialize(next, exported)).get(name) ?? String(next[name]);
    say(`${name} ${value || "(empty)"} is not allowed: ${name} must be ${allowed}. Using ${held}.`);
  }
  return next;
}

function apply(next) {
  // What a run can take in its stride continues it; a new seed, start or data restarts it.
  const restart = ["data", "seed"].some((k) => next[k] !== settings[k]) || next.start.join() !== settings.start.join();
  const newOptimizer = next.optimizer !== settings.optimizer;
  const newRows = next.batchSize !== settings.batchSize || next.sampler !== settings.sampler;
  settings = next;
  if (restart) reset();
  else {
    live.settings = { ...settings };
    if (newOptimizer) live.state = {};
    if (newRows) redraw(live, live.generator);
  }
  writeAddress();
  showSettings();
  render();
}

function writeAddress() {
  history.replaceState(null, "", `${location.pathname}?${serialize(settings, exported)}`);
}

// ---- drawing --------------------------------------------------------------------------------

function render() {
  if ($("map").clientWidth === 0) return; // not laid out yet: the ResizeObserver calls again
  const c = colours();
  const d = data();
  const b = box();
  const map = $("map");
  if (!backdrop || backdrop.scheme !== scheme() || backdrop.width !== map.clientWidth) {
    backdrop = { image: mapBackdrop(map, b, surface(d), c), scheme: scheme(), width: map.clientWidth };
  }
  const runs = [
    ...pinned.filter((p) => p.settings.data === settings.data).map((p) => ({ ...p.run, colour: p.colour, upto: p.run.t })),
    { params: live.params, loss: live.loss, colour: c.fit, upto: live.t },
  ];
  const rows = live.batches.at(-1) ?? null;
  const bowl = $("bowl").checked && live.t > 0 && rows ? surface(d, rows) : null;
  mapScales = drawMap(map, { box: b, colours: c, backdrop: backdrop.image, bowl, runs, ols: d.ols, start: settings.start });
  drawFit($("fit"), { data: d, colours: c, a: live.a, colour: c.fit, rows: live.t > 0 ? rows : null });
  const sameFloor = pinned.filter((p) => sharesFloor(p.settings.data));
  drawLoss($("loss"), { colours: c, runs: [...sameFloor.map((p) => ({ ...p.run, colour: p.colour, upto: p.run.t })), { loss: live.loss, upto: live.t, colour: c.fit }], floor: d.floor, steps: Math.max(settings.steps, ...sameFloor.map((p) => p.settings.steps)), name: d.loss, answer: d.model === "line" ? "least squares" : "minimum" });
  $("update").value = String(live.t);
  $("loss-out").value = fmt(live.loss.at(-1));
  $("slope").value = fmt(live.a[0]);
  $("intercept").value = fmt(live.a[1]);
  const far = distance(live.a, d.ols);
  $("distance").value = far === null ? "none: no answer" : fmt(far);
  $("gradients").value = String(live.gradients.at(-1));
  $("status").value = live.divergedAt !== null ? `diverged at update ${live.divergedAt}` : live.t >= settings.steps ? "finished" : playing ? "playing" : "paused";
  $("legend").replaceChildren(...legend(c));
}

function describe(s) {
  const hyper = Object.entries(s.hyper).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : v}`).join(", ");
  const bs = s.batchSize === null ? "full batch" : `batch ${s.batchSize}`;
  return `${exported.optimizers.find((o) => o.name === s.optimizer).title}, lr ${s.lr}${hyper ? `, ${hyper}` : ""}, ${bs}, ${s.schedule}, seed ${s.seed}, ${s.data} data`;
}

function legend(c) {
  const item = (colour, text, button) => {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "sgd-sandbox__swatch";
    swatch.style.background = colour;
    li.append(swatch, text);
    if (button) li.append(" ", button);
    return li;
  };
  const out = [item(c.fit, `this run: ${describe(settings)}`)];
  pinned.forEach((p, k) => {
    const unpin = document.createElement("button");
    unpin.type = "button";
    unpin.className = "md-button";
    unpin.textContent = "Unpin";
    unpin.setAttribute("aria-label", `Unpin run ${k + 1}`);
    unpin.addEventListener("click", () => {
      pinned.splice(k, 1);
      recolour();
      render();
    });
    const end = p.run.divergedAt !== null ? `diverged at ${p.run.divergedAt}` : `loss ${fmt(p.run.loss.at(-1))}`;
    // Another data setting's loss is another bowl: its path is not drawn on this one's map.
    // Its loss curve is drawn, against the same floor (moving or scaling x leaves the
    // least-squares residuals as they were), unless it is another problem's loss.
    const where = p.settings.data === settings.data ? ""
      : !sharesFloor(p.settings.data) ? `; other data (${p.settings.data}): its path and loss are not drawn here`
        : `; on the ${p.settings.data} data's map, not this one`;
    out.push(item(p.colour, `pinned ${k + 1}: ${describe(p.settings)}; ${end}${where}`, unpin));
  });
  return out;
}

/** Whether a pinned run on data `name` has the live run's floor, and its loss curve is drawn:
 * the line's four data settings share it (moving or scaling x leaves the least-squares
 * residuals), other data (the classes) only with itself. */
function sharesFloor(name) {
  const mine = data();
  return name === settings.data || (mine.model === "line" && exported.data[name].model === "line");
}

function recolour() {
  const methods = colours().methods;
  pinned.forEach((p, k) => (p.colour = methods[k + 1]));
}

// ---- play --------------------------------------------------------------------------------------

let last = 0;
let owed = 0;

function setPlaying(on) {
  playing = on;
  $("play").textContent = on ? "Pause" : "Play";
  $("play").setAttribute("aria-pressed", String(on));
  if (on) {
    last = performance.now();
    owed = 0;
    requestAnimationFrame(tick);
  }
  render();
}

// At the fastest speed a frame steps for this long, leaving the rest of the frame's 16.7 ms
// to drawing and the browser (make bench measures a frame's whole script time).
const STEP_MS = 4;

function tick(now) {
  if (!playing) return;
  const rate = SPEEDS[$("speed").value];
  const frameStart = performance.now();
  if (rate === Infinity) {
    while (performance.now() - frameStart < STEP_MS && advance());
  } else {
    owed += ((now - last) / 1000) * rate;
    while (owed >= 1 && advance()) owed -= 1;
  }
  last = now;
  render();
  performance.measure("sgd-sandbox-frame", { start: frameStart }); // for make bench
  if (playing) requestAnimationFrame(tick);
}

// ---- wiring ------------------------------------------------------------------------------------

function problemsMessage(problems) {
  const box = $("problems");
  box.replaceChildren(
    ...problems.map(({ name, value, allowed }) => {
      const li = document.createElement("li");
      li.textContent = `The address's ${name}=${value} is not allowed: ${name} must be ${allowed}. The default is used.`;
      return li;
    }),
  );
  box.hidden = problems.length === 0;
}

function moveStart(a) {
  const next = structuredClone(settings);
  next.start = a.map((v) => +v.toPrecision(4));
  apply(next);
}

function wire() {
  fillSelect($("speed"), Object.entries(SPEEDS).map(([k, v]) => [k, v === Infinity ? "as fast as it goes" : `${v} updates a second`]));
  $("speed").value = "normal";
  fillSelect($("optimizer"), exported.optimizers.map((o) => [o.name, o.title]));
  fillSelect($("schedule"), exported.schedules.map((s) => [s, s]));
  fillSelect($("sampler"), exported.lesson.samplers.map((s) => [s, s]));
  fillSelect($("data"), Object.keys(exported.data).map((k) => [k, k]));
  root.querySelector("form").addEventListener("submit", (e) => e.preventDefault());
  root.querySelector("form").addEventListener("change", (e) => {
    if (e.target === $("lr-slider")) $("lr").value = String(+(10 ** Number($("lr-slider").value)).toPrecision(3));
    if (e.target === $("speed") || e.target === $("bowl")) return render();
    apply(readSettings());
  });
  $("lr-slider").addEventListener("input", () => {
    $("lr").value = String(+(10 ** Number($("lr-slider").value)).toPrecision(3));
    apply(readSettings());
  });
  $("play").addEventListener("click", () => {
    if (!playing && (live.t >= settings.steps || live.divergedAt !== null)) reset();
    setPlaying(!playing);
  });
  $("step").addEventListener("click", () => {
    setPlaying(false);
    advance();
    render();
    say(live.divergedAt !== null ? `Diverged at update ${live.divergedAt}.` : `Update ${live.t}, loss ${fmt(live.loss.at(-1))}.`);
  });
  $("reset").addEventListener("click", () => {
    setPlaying(false);
    reset();
    say("Reset: the same run from update 0, with the same batches.");
  });
  $("new-batches").addEventListener("click", () => {
    const next = structuredClone(settings);
    next.seed = String(Math.floor(Math.random() * 2 ** 31));
    apply(next);
    say(`New batches: seed ${next.seed}.`);
  });
  $("pin").addEventListener("click", () => {
    if (pinned.length >= MAX_PINNED) return say(`At most ${MAX_PINNED} runs can be pinned: unpin one first.`);
    const p = { settings: structuredClone(settings), run: newRun(settings) };
    while (p.run.t < live.t && step(p.run));
    pinned.push(p);
    recolour();
    render();
    say(`Pinned run ${pinned.length}. Change a setting to race it.`);
  });
  const map = $("map");
  let dragging = false;
  const at = (e) => {
    const r = map.getBoundingClientRect();
    return mapScales.fromPx(e.clientX - r.left, e.clientY - r.top);
  };
  map.addEventListener("pointerdown", (e) => {
    dragging = true;
    map.setPointerCapture(e.pointerId);
    moveStart(at(e));
  });
  map.addEventListener("pointermove", (e) => dragging && moveStart(at(e)));
  map.addEventListener("pointerup", () => (dragging = false));
  map.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (!moves[e.key]) return;
    e.preventDefault();
    const [[x0, x1], [y0, y1]] = box();
    const k = e.shiftKey ? 0.1 : 0.02;
    moveStart([settings.start[0] + moves[e.key][0] * k * (x1 - x0), settings.start[1] + moves[e.key][1] * k * (y1 - y0)]);
    say(`Start: slope ${settings.start[0]}, intercept ${settings.start[1]}.`);
  });
  new MutationObserver(() => {
    recolour();
    render();
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  new ResizeObserver(() => render()).observe(map);
}

async function main() {
  const response = await fetch(root.dataset.src);
  exported = await response.json();
  const { settings: s, runs, problems } = parse(location.search, exported);
  settings = s;
  wire();
  problemsMessage(problems);
  for (const slug of runs.slice(1, 1 + MAX_PINNED)) {
    const other = fromRun(exported, slug);
    pinned.push({ settings: other, run: newRun(other) });
  }
  recolour();
  live = newRun(settings);
  showSettings();
  $("blowup").textContent = String(exported.lesson.blowup);
  // With run=SLUG the table's run is replayed to its end, ready to change one thing.
  if (runs.length) {
    while (advance());
    say(`Run ${runs[0]} replayed: ${live.divergedAt !== null ? `diverged at update ${live.divergedAt}` : `loss ${fmt(live.loss.at(-1))}`}.`);
  }
  writeAddress();
  render();
  root.dataset.ready = "true";
}

main().catch((error) => {
  const p = $("problems");
  p.hidden = false;
  p.textContent = `The sandbox could not start: ${error.message}`;
});
