// The sandbox's three pictures, drawn on canvases: the loss's contour map with the paths, the
// line over the points, the loss against updates. Each view is a function of what it shows;
// colours come from the build's palette (sandbox.json `themes`).

// ---- a canvas sized to its box, in CSS pixels --------------------------------------------

export function fit(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, w, h };
}

const FONT = "13px system-ui, sans-serif";
const PAD = { left: 48, right: 10, top: 10, bottom: 34 };

function axes(ctx, w, h, colours, xLabel, yLabel) {
  ctx.strokeStyle = colours.muted;
  ctx.lineWidth = 1;
  ctx.strokeRect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  ctx.fillStyle = colours.fg;
  ctx.font = FONT;
  ctx.textAlign = "center";
  ctx.fillText(xLabel, PAD.left + (w - PAD.left - PAD.right) / 2, h - 4);
  ctx.save();
  ctx.translate(13, PAD.top + (h - PAD.top - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
}

/** Pixel mappings for a box of data [x0, x1] × [y0, y1] (y up). */
export function scales(w, h, [x0, x1], [y0, y1]) {
  const pw = w - PAD.left - PAD.right;
  const ph = h - PAD.top - PAD.bottom;
  return {
    px: (x) => PAD.left + ((x - x0) / (x1 - x0)) * pw,
    py: (y) => PAD.top + ph - ((y - y0) / (y1 - y0)) * ph,
    fromPx: (px, py) => [x0 + ((px - PAD.left) / pw) * (x1 - x0), y0 + ((PAD.top + ph - py) / ph) * (y1 - y0)],
  };
}

function ticks(ctx, s, [x0, x1], [y0, y1], colours) {
  ctx.fillStyle = colours.fg;
  ctx.font = FONT;
  const nice = (lo, hi) => {
    const step = 10 ** Math.floor(Math.log10((hi - lo) / 2));
    const k = (hi - lo) / step > 10 ? step * 2 : step;
    const out = [];
    for (let v = Math.ceil(lo / k) * k; v <= hi; v += k) out.push(Math.round(v / k) * k);
    return out;
  };
  ctx.textAlign = "center";
  for (const v of nice(x0, x1)) ctx.fillText(String(+v.toPrecision(3)), s.px(v), s.py(y0) + 15);
  ctx.textAlign = "right";
  for (const v of nice(y0, y1)) ctx.fillText(String(+v.toPrecision(3)), PAD.left - 4, s.py(v) + 4);
}

// ---- the loss over the (slope, intercept) plane ----------------------------------------

/** The MSE of the rows `rows` (null: all) as a quadratic in a: its sums, for O(1) values. */
export function quadratic(data, rows = null) {
  let sxx = 0, sx = 0, sxy = 0, sy = 0, syy = 0;
  const idx = rows ?? data.x.map((_, i) => i);
  for (const i of idx) {
    const x = data.x[i];
    const y = data.y[i];
    sxx += x * x; sx += x; sxy += x * y; sy += y; syy += y * y;
  }
  const b = idx.length;
  return (a0, a1) => (a0 * a0 * sxx + 2 * a0 * a1 * sx + a1 * a1 * b - 2 * a0 * sxy - 2 * a1 * sy + syy) / b;
}

/** Marching squares: the segments where `values` (ny rows of nx) cross `level`. */
function isoline(values, nx, ny, level) {
  const segments = [];
  const at = (i, j) => values[j * nx + i];
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
      const crossings = [];
      for (let k = 0; k < 4; k++) {
        const [ai, aj] = corners[k];
        const [bi, bj] = corners[(k + 1) % 4];
        const va = at(ai, aj) - level;
        const vb = at(bi, bj) - level;
        if ((va < 0) !== (vb < 0)) {
          const t = va / (va - vb);
          crossings.push([ai + t * (bi - ai), aj + t * (bj - aj)]);
        }
      }
      if (crossings.length >= 2) segments.push([crossings[0], crossings[1]]);
      if (crossings.length === 4) segments.push([crossings[2], crossings[3]]);
    }
  }
  return segments;
}

/** Contours of `loss` over the box, geometric between its smallest value on the grid and
 * the top of the box: `count` levels. */
export function drawContours(ctx, s, box, loss, colour, { count = 12, width = 1, grid = 72 } = {}) {
  const [[x0, x1], [y0, y1]] = box;
  const values = new Float64Array(grid * grid);
  let lo = Infinity, hi = -Infinity;
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const v = loss(x0 + ((x1 - x0) * i) / (grid - 1), y0 + ((y1 - y0) * j) / (grid - 1));
      values[j * grid + i] = v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const floor = Math.max(lo, 0);
  const span = hi - floor;
  if (!(span > 0)) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (let k = 1; k <= count; k++) {
    const level = floor + span * 0.6 ** (count - k + 1) * 0.9;
    for (const [[ai, aj], [bi, bj]] of isoline(values, grid, grid, level)) {
      ctx.moveTo(s.px(x0 + ((x1 - x0) * ai) / (grid - 1)), s.py(y0 + ((y1 - y0) * aj) / (grid - 1)));
      ctx.lineTo(s.px(x0 + ((x1 - x0) * bi) / (grid - 1)), s.py(y0 + ((y1 - y0) * bj) / (grid - 1)));
    }
  }
  ctx.stroke();
}

/** The map: contours (drawn once into `backdrop`), the batch's own bowl, every path. */
export function drawMap(canvas, { box, colours, backdrop, bowl, runs, ols, start }) {
  const { ctx, w, h } = fit(canvas);
  const s = scales(w, h, ...box);
  ctx.clearRect(0, 0, w, h);
  if (backdrop) ctx.drawImage(backdrop, 0, 0, w, h);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  ctx.clip();
  if (bowl) {
    ctx.globalAlpha = 0.55;
    drawContours(ctx, s, box, bowl, colours.batch, { count: 8, width: 1, grid: 48 });
    ctx.globalAlpha = 1;
  }
  for (const { params, colour, upto } of runs) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let t = 0; t <= upto; t++) {
      const [a0, a1] = params[t];
      if (t === 0) ctx.moveTo(s.px(a0), s.py(a1));
      else ctx.lineTo(s.px(a0), s.py(a1));
    }
    ctx.stroke();
    const [a0, a1] = params[upto];
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(s.px(a0), s.py(a1), 4.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  // the answer (a star; none for separable classes) and the start (a ring)
  ctx.fillStyle = colours.fg;
  if (ols) star(ctx, s.px(ols[0]), s.py(ols[1]), 8);
  ctx.strokeStyle = colours.fg;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(s.px(start[0]), s.py(start[1]), 6, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
  axes(ctx, w, h, colours, "slope a[0]", "intercept a[1]");
  ticks(ctx, s, ...box, colours);
  return s;
}

/** The contours of the full loss, in an offscreen canvas the size of `canvas`. */
export function mapBackdrop(canvas, box, loss, colours) {
  const off = document.createElement("canvas");
  off.style.width = `${canvas.clientWidth}px`;
  off.style.height = `${canvas.clientHeight}px`;
  const ratio = window.devicePixelRatio || 1;
  off.width = Math.round(canvas.clientWidth * ratio);
  off.height = Math.round(canvas.clientHeight * ratio);
  const ctx = off.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const s = scales(canvas.clientWidth, canvas.clientHeight, ...box);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, canvas.clientWidth - PAD.left - PAD.right, canvas.clientHeight - PAD.top - PAD.bottom);
  ctx.clip();
  drawContours(ctx, s, box, loss, colours.muted, { count: 14 });
  ctx.restore();
  return off;
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    const radius = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + radius * Math.cos(angle), y + radius * Math.sin(angle));
  }
  ctx.closePath();
  ctx.fill();
}

// ---- the line over the points -------------------------------------------------------------

/** Rings round the points of `rows` (the last update's batch; none if null). */
function ringRows(ctx, s, xs, ys, rows, colour) {
  if (!rows) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  for (const i of rows) {
    ctx.beginPath();
    ctx.arc(s.px(xs[i]), s.py(ys[i]), 5.5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

/** The classes at 0 and 1 (class 1 dots, class 0 squares) and the probability curve
 * p(x) = sigmoid(a[0] x + a[1]); `rows` ringed. */
function drawClasses(canvas, { data, colours, a, colour, rows }) {
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  const xs = data.x;
  const xr = [Math.min(...xs), Math.max(...xs)];
  const padX = (xr[1] - xr[0]) * 0.05;
  const box = [[xr[0] - padX, xr[1] + padX], [-0.12, 1.12]];
  const s = scales(w, h, ...box);
  for (let i = 0; i < xs.length; i++) {
    const [px, py] = [s.px(xs[i]), s.py(data.y[i])];
    ctx.fillStyle = data.y[i] === 1 ? colours.data : colours.truth;
    ctx.beginPath();
    if (data.y[i] === 1) ctx.arc(px, py, 2.5, 0, 2 * Math.PI);
    else ctx.rect(px - 2.5, py - 2.5, 5, 5);
    ctx.fill();
  }
  ringRows(ctx, s, xs, data.y, rows, colours.batch);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  for (let k = 0; k <= 120; k++) {
    const x = box[0][0] + ((box[0][1] - box[0][0]) * k) / 120;
    const z = Math.max(-60, Math.min(60, a[0] * x + a[1]));
    const y = s.py(1 / (1 + Math.exp(-z)));
    if (k === 0) ctx.moveTo(s.px(x), y);
    else ctx.lineTo(s.px(x), y);
  }
  ctx.stroke();
  axes(ctx, w, h, colours, "x", "y, p(x)");
  ticks(ctx, s, ...box, colours);
}

export function drawFit(canvas, { data, colours, a, colour, rows }) {
  if (data.model === "probability") return drawClasses(canvas, { data, colours, a, colour, rows });
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  const xs = data.x;
  const ys = data.y;
  const xr = [Math.min(...xs), Math.max(...xs)];
  // the points, and the line where it stays within three spans of them
  const span = Math.max(...ys) - Math.min(...ys);
  const ends = [xr[0], xr[1]].map((x) => a[0] * x + a[1]).filter(Number.isFinite);
  const clamp = (v) => Math.min(Math.max(v, Math.min(...ys) - 3 * span), Math.max(...ys) + 3 * span);
  const yr = [Math.min(...ys, ...ends.map(clamp)), Math.max(...ys, ...ends.map(clamp))];
  const padX = (xr[1] - xr[0]) * 0.05;
  const padY = (yr[1] - yr[0]) * 0.1;
  const box = [[xr[0] - padX, xr[1] + padX], [yr[0] - padY, yr[1] + padY]];
  const s = scales(w, h, ...box);
  ctx.fillStyle = colours.data;
  for (let i = 0; i < xs.length; i++) {
    ctx.beginPath();
    ctx.arc(s.px(xs[i]), s.py(ys[i]), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ringRows(ctx, s, xs, ys, rows, colours.batch);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  ctx.clip();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.moveTo(s.px(box[0][0]), s.py(a[0] * box[0][0] + a[1]));
  ctx.lineTo(s.px(box[0][1]), s.py(a[0] * box[0][1] + a[1]));
  ctx.stroke();
  ctx.restore();
  axes(ctx, w, h, colours, "x", "y");
  ticks(ctx, s, ...box, colours);
}

// ---- the loss against updates, on a log scale ------------------------------------------------

export function drawLoss(canvas, { colours, runs, floor, steps, name = "MSE", answer = "least squares" }) {
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  // No answer (separable classes): no floor line, and the scale from the runs' own losses.
  const hasFloor = floor > 0;
  let lo = hasFloor ? floor * 0.9 : Infinity;
  let hi = hasFloor ? floor * 10 : 0;
  for (const { loss, upto } of runs) {
    for (let t = 0; t <= upto; t++) {
      hi = Math.max(hi, loss[t]);
      if (!hasFloor && loss[t] > 0) lo = Math.min(lo, loss[t] * 0.9);
    }
  }
  if (!Number.isFinite(lo)) lo = hi / 10;
  lo = Math.log10(lo);
  hi = Math.log10(hi * 1.2);
  const box = [[0, Math.max(steps, 1)], [lo, hi]];
  const s = scales(w, h, ...box);
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  ctx.clip();
  if (hasFloor) {
    ctx.strokeStyle = colours.muted;
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(s.px(0), s.py(Math.log10(floor)));
    ctx.lineTo(s.px(box[0][1]), s.py(Math.log10(floor)));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const { loss, upto, colour } of runs) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let t = 0; t <= upto; t++) {
      const y = s.py(Math.log10(loss[t]));
      if (t === 0) ctx.moveTo(s.px(t), y);
      else ctx.lineTo(s.px(t), y);
    }
    ctx.stroke();
  }
  ctx.restore();
  axes(ctx, w, h, colours, "update", `full-data ${name} (log scale)`);
  ctx.fillStyle = colours.fg;
  ctx.font = FONT;
  ctx.textAlign = "right";
  for (let e = Math.ceil(lo); e <= hi; e++) ctx.fillText(`1e${e}`, PAD.left - 4, s.py(e) + 4);
  ctx.textAlign = "center";
  for (const t of [0, Math.round(steps / 2), steps]) ctx.fillText(String(t), s.px(t), s.py(lo) + 15);
  if (hasFloor) {
    ctx.textAlign = "left";
    ctx.fillStyle = colours.muted;
    ctx.fillText(answer, s.px(0) + 4, s.py(Math.log10(floor)) - 5);
  }
}
