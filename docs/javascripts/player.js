// The player under every animation: play and pause, previous and next step, a "Training step"
// slider and a speed. It is frame-accurate: it decodes the GIF the page already loaded
// (ImageDecoder, from the browser's cache: no second download) and draws the frame of the
// step asked for. A comparison is one GIF, or on the overview many GIFs on one clock: every
// panel shows the same training step at once, and a run that has ended holds its last frame.
// Where the browser cannot decode GIFs, play and pause only. No network, no library.
(function () {
  "use strict";

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const canDecode = typeof window.ImageDecoder === "function";
  const SPEEDS = [["0.5", "½×"], ["1", "1×"], ["2", "2×"]];
  const FRAME_MS = 60; // if a frame's own duration cannot be read
  const players = [];

  function dark() {
    return document.body.getAttribute("data-md-color-scheme") === "slate";
  }

  function element(tag, attrs, text) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // ---- one GIF, decoded frame by frame -------------------------------------------------

  function Layer(picture, config) {
    this.picture = picture;
    this.img = picture.querySelector("img");
    this.config = config;
    this.decoder = null;
    this.theme = null;
    this.opening = null;
    this.canvas = null;
    this.want = -1;
    this.shown = -1;
    this.busy = null;
    this.durations = [];
  }

  // Index of the frame to show at a training step: the last frame at or before it (a run that
  // has ended holds its last frame).
  Layer.prototype.frameAt = function (step) {
    const steps = this.config.steps;
    let lo = 0;
    let hi = steps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (steps[mid] <= step) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  Layer.prototype.open = function () {
    const theme = dark() ? "dark" : "light";
    if (this.decoder && this.theme === theme) return Promise.resolve();
    if (this.opening && this.theme === theme) return this.opening;
    this.theme = theme;
    const url = this.config.gif[theme];
    // The <img> fetched this URL already (or the reader asked for a still): from the cache.
    this.opening = fetch(url, { cache: "force-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return new ImageDecoder({ data: response.body, type: "image/gif" });
      })
      .then(
        function (decoder) {
          return decoder.tracks.ready.then(
            function () {
              if (this.decoder) this.decoder.close();
              this.decoder = decoder;
              this.shown = -1;
              this.durations = [];
              this.mount();
            }.bind(this)
          );
        }.bind(this)
      );
    return this.opening;
  };

  // A canvas in the picture's place, named as the picture was.
  Layer.prototype.mount = function () {
    if (this.canvas) return;
    const canvas = element("canvas", {
      width: this.img.getAttribute("width"),
      height: this.img.getAttribute("height"),
      role: "img",
      "aria-label": this.img.alt,
    });
    canvas.hidden = true; // until its first frame is drawn
    this.canvas = canvas;
    this.picture.after(canvas);
  };

  // The canvas lies over the picture, in the box the picture keeps: nothing moves.
  Layer.prototype.reveal = function () {
    if (this.canvas && this.shown >= 0 && this.canvas.hidden) {
      this.canvas.hidden = false;
      this.picture.classList.add("sgd-covered");
    }
  };

  // Draw frame `index`; frames asked for while one decodes are skipped but for the last.
  Layer.prototype.show = function (index) {
    this.want = index;
    if (!this.busy) {
      this.busy = this.pump().finally(
        function () {
          this.busy = null;
        }.bind(this)
      );
    }
    return this.busy;
  };

  Layer.prototype.pump = async function () {
    while (this.decoder && this.want !== this.shown) {
      const index = this.want;
      const decoder = this.decoder;
      let image;
      try {
        image = (await decoder.decode({ frameIndex: index })).image;
      } catch (error) {
        // Closed under it (the explorer chose another run, the scheme changed): the new
        // decoder draws instead. Anything else: keep the frame on show.
        if (decoder === this.decoder) return;
        continue;
      }
      if (decoder === this.decoder) {
        const context = this.canvas.getContext("2d");
        context.drawImage(image, 0, 0, this.canvas.width, this.canvas.height);
        this.durations[index] = image.duration ? image.duration / 1000 : FRAME_MS;
        this.shown = index;
        this.reveal();
      }
      image.close();
    }
  };

  // Without a decoder: the picture shows the GIF ("gif") or the poster ("poster"), in
  // whichever scheme the page is in.
  Layer.prototype.setSources = function (kind) {
    const files = this.config[kind];
    for (const source of this.picture.querySelectorAll("source")) {
      source.srcset = files[source.dataset.scheme];
    }
    this.img.src = files.light;
  };

  Layer.prototype.close = function () {
    if (this.decoder) this.decoder.close();
    this.decoder = null;
    this.opening = null;
    this.shown = -1;
    if (this.canvas) this.canvas.remove();
    this.canvas = null;
    this.picture.classList.remove("sgd-covered");
  };

  // ---- the control bar and its clock ---------------------------------------------------

  function Player(root) {
    this.root = root;
    const config = JSON.parse(root.dataset.player);
    this.cells = root.hasAttribute("data-cells");
    const pictures = Array.from(root.querySelectorAll("picture"));
    const configs = config.layers || [config];
    this.layers = configs.map(function (c, i) {
      return new Layer(pictures[i], c);
    });
    this.mses = Array.from(root.querySelectorAll("[data-cell-mse]"));
    this.setClock();
    // The overview and readers who ask for reduced motion start paused, on the last step:
    // the poster the page shows.
    this.playing = !reducedMotion && !this.cells;
    this.index = this.playing ? 0 : this.clock.length - 1;
    this.speed = 1;
    this.timer = null;
    this.visible = false;
    this.took = false;
    this.broken = false;
    this.build();
    this.render(false);
    this.watch();
  }

  Player.prototype.setClock = function () {
    const steps = new Set();
    for (const layer of this.layers) layer.config.steps.forEach((s) => steps.add(s));
    this.clock = Array.from(steps).sort((a, b) => a - b);
  };

  // The controls are in the page already (so nothing moves): wire them up.
  Player.prototype.build = function () {
    const bar = this.root.querySelector(".sgd-player");
    this.bar = bar;
    this.button = bar.querySelector(".sgd-player__play");
    this.button.addEventListener("click", () => this.toggle());
    if (canDecode) {
      this.range = bar.querySelector("input[type=range]");
      this.readout = bar.querySelector(".sgd-player__readout");
      this.select = bar.querySelector("select");
      this.status = bar.querySelector(".sgd-player__status");
      bar.querySelector(".sgd-player__back").addEventListener("click", () => {
        this.go(this.index - 1, true);
      });
      bar.querySelector(".sgd-player__next").addEventListener("click", () => {
        this.go(this.index + 1, true);
      });
      this.range.addEventListener("input", () => this.seek(Number(this.range.value)));
      this.select.addEventListener("change", () => {
        this.speed = Number(this.select.value);
      });
    } else {
      // Nothing to step through: play and pause only.
      for (const el of bar.children) if (el !== this.button) el.hidden = true;
    }
    this.root.addEventListener("keydown", (event) => this.key(event));
    this.root.addEventListener("click", (event) => {
      if (event.target.closest(".sgd-anim__media") && !this.cells) this.toggle();
    });
  };

  Player.prototype.key = function (event) {
    if (event.target.closest("select, a") || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key === " " && event.target.closest("button")) {
      return; // Space presses the focused button, as everywhere
    } else if (event.key === " ") {
      this.toggle();
    } else if (canDecode && event.key in moves) {
      this.go(this.index + moves[event.key], true);
    } else if (canDecode && event.key === "Home") {
      this.go(0, true);
    } else if (canDecode && event.key === "End") {
      this.go(this.clock.length - 1, true);
    } else {
      return;
    }
    event.preventDefault();
  };

  // What the slider says: "step 34 of 100, MSE 0.271"; for several runs in one GIF, each.
  Player.prototype.describe = function (step) {
    const last = this.clock[this.clock.length - 1];
    const text = "step " + step + " of " + last;
    if (this.layers.length > 1) return text + ", the loss of each run under it";
    const config = this.layers[0].config;
    const loss = config.loss || "MSE";
    const row = config.mse[this.layers[0].frameAt(step)];
    if (row.length === 1) return text + ", " + loss + " " + row[0];
    return (
      text +
      ": " +
      config.runs
        .map(function (name, i) {
          const ended = step > config.ends[i] ? " (ended at step " + config.ends[i] + ")" : "";
          return name + ", " + loss + " " + row[i] + ended;
        })
        .join("; ")
    );
  };

  Player.prototype.render = function (announce) {
    const step = this.clock[this.index];
    this.button.textContent = this.playing ? "Pause" : "Play";
    this.button.setAttribute("aria-label", (this.playing ? "Pause" : "Play") + " the animation");
    this.root.dataset.state = this.playing ? "playing" : "paused";
    this.root.dataset.step = step;
    const shown = [];
    this.layers.forEach((layer, i) => {
      const frame = layer.frameAt(step);
      if (this.mses[i]) {
        this.mses[i].textContent = (layer.config.loss || "MSE") + " " + layer.config.mse[frame][0];
      }
      if (layer.decoder) shown.push(layer.show(frame));
    });
    if (this.range) {
      const text = this.describe(step);
      this.range.value = step;
      this.range.setAttribute("aria-valuetext", text);
      this.readout.textContent = "step " + step + " of " + this.clock[this.clock.length - 1];
      // Politely, and only when the reader moved it: not at every frame while playing.
      if (announce) this.status.textContent = text;
    }
    return Promise.all(shown);
  };

  // Decode from here on: open every layer, then show the current step.
  Player.prototype.take = function () {
    if (!this.took) {
      this.took = true;
      this.ready = Promise.all(this.layers.map((layer) => layer.open())).catch(() => {
        // A GIF that cannot be decoded: the page keeps the GIF, as it plays, for good.
        this.layers.forEach((layer) => layer.close());
        this.broken = true;
      });
    }
    return this.ready;
  };

  Player.prototype.go = function (index, announce) {
    const n = this.clock.length;
    this.pause();
    this.index = Math.min(Math.max(index, 0), n - 1);
    this.render(announce);
    return this.take().then(() => this.render(false));
  };

  Player.prototype.seek = function (step) {
    // The nearest step that has a frame.
    let best = 0;
    this.clock.forEach((s, i) => {
      if (Math.abs(s - step) < Math.abs(this.clock[best] - step)) best = i;
    });
    return this.go(best, true);
  };

  Player.prototype.pause = function () {
    this.playing = false;
    clearTimeout(this.timer);
    this.timer = null;
    if (!canDecode) this.layers.forEach(freeze);
  };

  Player.prototype.play = function () {
    this.playing = true;
    if (!canDecode) {
      this.layers.forEach(function (layer) {
        unfreeze(layer);
        layer.setSources("gif");
      });
      this.render(false);
      return;
    }
    if (this.index === this.clock.length - 1) this.index = 0;
    this.render(false);
    this.take().then(() => this.loop());
  };

  Player.prototype.toggle = function () {
    if (this.playing) {
      this.pause();
      this.render(true);
      if (canDecode) this.take().then(() => this.render(false));
    } else {
      this.play();
    }
  };

  // One frame, held as long as the GIF holds it (divided by the speed), then the next.
  Player.prototype.loop = function () {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.playing || !this.visible || this.broken) return;
    this.render(false).then(() => {
      if (!this.playing || this.timer) return;
      const layer = this.layers[0];
      const ms = layer.durations[layer.frameAt(this.clock[this.index])] || FRAME_MS;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.playing) return;
        this.index = (this.index + 1) % this.clock.length;
        this.loop();
      }, ms / this.speed);
    });
  };

  // Play only what can be seen; take over from the GIF once it has loaded.
  Player.prototype.watch = function () {
    const observer = new IntersectionObserver((entries) => {
      this.visible = entries[entries.length - 1].isIntersecting;
      if (this.visible) this.start();
      else {
        clearTimeout(this.timer);
        this.timer = null;
      }
    });
    observer.observe(this.root);
  };

  Player.prototype.start = function () {
    if (!this.visible || !canDecode || !this.playing) return;
    const img = this.layers[0].img;
    const go = () => this.take().then(() => this.loop());
    if (this.took || (img.complete && img.naturalWidth)) go();
    else img.addEventListener("load", go, { once: true });
  };

  // The explorer shows another run in the same figure.
  Player.prototype.load = function (config, alt) {
    const layer = this.layers[0];
    this.pause();
    layer.close();
    layer.config = config;
    layer.img.alt = alt;
    this.took = false;
    for (const source of layer.picture.querySelectorAll("source")) {
      const still = source.media.indexOf("reduced-motion") >= 0;
      source.srcset = (still ? config.poster : config.gif)[source.dataset.scheme];
    }
    layer.img.src = config.gif.light;
    this.setClock();
    if (this.range) {
      this.range.min = this.clock[0];
      this.range.max = this.clock[this.clock.length - 1];
    }
    this.playing = !reducedMotion;
    this.index = this.playing ? 0 : this.clock.length - 1;
    this.render(false);
    this.start();
  };

  // ---- without a decoder: pause freezes the frame on show ------------------------------

  function freeze(layer) {
    const img = layer.img;
    const showingGif = (img.currentSrc || img.src).split("#")[0].endsWith(".gif");
    if (!showingGif || !img.complete || !img.naturalWidth) {
      layer.setSources("poster");
      return;
    }
    const canvas = element("canvas", {
      width: img.naturalWidth,
      height: img.naturalHeight,
      role: "img",
      "aria-label": img.alt + " (paused)",
    });
    canvas.getContext("2d").drawImage(img, 0, 0);
    layer.canvas = canvas;
    layer.picture.after(canvas);
    layer.picture.classList.add("sgd-covered");
  }

  function unfreeze(layer) {
    if (layer.canvas) layer.canvas.remove();
    layer.canvas = null;
    layer.picture.classList.remove("sgd-covered");
  }

  // ---- the page ----------------------------------------------------------------------

  function attach(root) {
    if (!root.sgdPlayer) {
      root.sgdPlayer = new Player(root);
      players.push(root.sgdPlayer);
    }
    return root.sgdPlayer;
  }

  // The reader switched the colour scheme: decode the other scheme's GIF, at the same step.
  new MutationObserver(function () {
    for (const player of players) {
      if (!player.took) continue;
      player.took = false;
      player.take().then(() => player.render(false));
    }
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  window.sgdPlayer = { attach: attach };

  function init() {
    document.querySelectorAll("[data-player]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
