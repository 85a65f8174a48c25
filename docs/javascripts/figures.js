// Pause and play for every animation (WCAG 2.2.2), and the explorer. No network, no library.
(function () {
  "use strict";

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const controllers = new WeakMap();

  // ---- animations ------------------------------------------------------------------
  // Each animation is a <figure class="sgd-anim"> with one <picture> per colour scheme; each
  // picture's <img> carries data-gif and data-poster. Playing shows the GIF; pausing freezes
  // the visible picture on its current frame (drawn onto a canvas) and shows the poster in
  // the hidden one. Readers who ask for reduced motion start paused, on the poster.

  function pictures(figure) {
    return Array.from(figure.querySelectorAll("picture"));
  }

  function showGif(picture) {
    const img = picture.querySelector("img");
    const source = picture.querySelector("source");
    if (source) source.srcset = img.dataset.gif;
    img.src = img.dataset.gif;
  }

  function showPoster(picture) {
    const img = picture.querySelector("img");
    const source = picture.querySelector("source");
    if (source) source.srcset = img.dataset.poster;
    img.src = img.dataset.poster;
  }

  function unfreeze(picture) {
    const canvas = picture.querySelector("canvas");
    if (canvas) canvas.remove();
    picture.querySelector("img").hidden = false;
  }

  function freeze(picture) {
    const img = picture.querySelector("img");
    const visible = img.offsetParent !== null && img.complete && img.naturalWidth > 0;
    const showingGif = (img.currentSrc || img.src).split("#")[0].endsWith(".gif");
    if (!visible || !showingGif) {
      showPoster(picture);
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", img.alt + " (paused)");
    canvas.getContext("2d").drawImage(img, 0, 0);
    img.hidden = true;
    picture.appendChild(canvas);
  }

  function setupAnimation(figure) {
    if (controllers.has(figure)) return controllers.get(figure);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sgd-anim__toggle";
    const caption = figure.querySelector("figcaption");
    figure.insertBefore(button, caption);

    const state = { playing: !reducedMotion.matches };

    function apply() {
      for (const picture of pictures(figure)) {
        unfreeze(picture);
        if (state.playing) showGif(picture);
        else freeze(picture);
      }
      button.textContent = state.playing ? "Pause" : "Play";
      button.setAttribute("aria-label", (state.playing ? "Pause" : "Play") + " the animation");
      figure.dataset.state = state.playing ? "playing" : "paused";
    }

    function toggle() {
      state.playing = !state.playing;
      apply();
    }

    button.addEventListener("click", toggle);
    figure.addEventListener("click", function (event) {
      if (event.target.closest("picture")) toggle();
    });

    // Reduced motion starts on the poster, which the <source> already shows.
    figure.dataset.state = state.playing ? "playing" : "paused";
    button.textContent = state.playing ? "Pause" : "Play";
    button.setAttribute("aria-label", (state.playing ? "Pause" : "Play") + " the animation");

    // After the explorer swaps the run: a playing animation plays the new GIF from its
    // start; a paused one shows the new run's poster.
    const controller = {
      refresh: function () {
        for (const picture of pictures(figure)) {
          unfreeze(picture);
          if (state.playing) showGif(picture);
          else showPoster(picture);
        }
      },
    };
    controllers.set(figure, controller);
    return controller;
  }

  // ---- the explorer ----------------------------------------------------------------
  // Radio buttons for learning rate and batch size; the run's data is inline in the page.
  // The choice lives in the URL's fragment (#lr=0.1&bs=16), so a link reproduces it.

  function setupExplorer(root) {
    const runs = JSON.parse(root.querySelector("script[data-runs]").textContent);
    const form = root.querySelector("form");
    const status = root.querySelector(".sgd-explorer__status");
    const animation = root.querySelector(".sgd-anim");
    const lossFigure = root.querySelector(".sgd-fig");

    function find(lr, bs) {
      return runs.find(function (r) { return r.lr === lr && r.bs === bs; });
    }

    function chosen(name) {
      const input = form.querySelector('input[name="' + name + '"]:checked');
      return input ? input.value : null;
    }

    function check(name, value) {
      const input = form.querySelector('input[name="' + name + '"][value="' + value + '"]');
      if (input) input.checked = true;
    }

    function show(run, note) {
      check("lr", run.lr);
      check("bs", run.bs);
      for (const img of animation.querySelectorAll("img")) {
        const theme = img.closest("picture").classList.contains("sgd-dark") ? "dark" : "light";
        img.dataset.gif = run.files.fit[theme];
        img.dataset.poster = run.files.poster[theme];
        img.alt = run.alt;
      }
      setupAnimation(animation).refresh();
      for (const img of lossFigure.querySelectorAll("img")) {
        const theme = img.classList.contains("sgd-dark") ? "dark" : "light";
        img.src = run.files.loss[theme];
        img.alt = run.loss_alt;
      }
      for (const dd of root.querySelectorAll("dd[data-field]")) {
        dd.textContent = run.numbers[dd.dataset.field];
      }
      root.dataset.run = run.slug;
      status.textContent = "Showing " + run.describe + "." + (note ? " " + note : "");
    }

    function fromHash() {
      const params = new URLSearchParams(window.location.hash.slice(1));
      return find(params.get("lr"), params.get("bs"));
    }

    form.addEventListener("change", function (event) {
      const lr = chosen("lr");
      const bs = chosen("bs");
      let run = find(lr, bs);
      let note = "";
      if (!run) {
        // Not every pair is in the table (full-batch descent runs only at one rate): keep
        // what was just chosen and take the first run that has it.
        const key = event.target.name;
        run = runs.find(function (r) { return r[key] === event.target.value; });
        note = "There is no run with " + (key === "lr" ? "batch size " + bs : "lr " + lr) +
          " and " + (key === "lr" ? "lr " + lr : "batch size " + bs) + ".";
      }
      show(run, note);
      history.replaceState(null, "", "#lr=" + run.lr + "&bs=" + run.bs);
    });

    window.addEventListener("hashchange", function () {
      const run = fromHash();
      if (run) show(run, "");
    });

    show(fromHash() || runs[0], "");
  }

  function init() {
    document.querySelectorAll(".sgd-anim").forEach(setupAnimation);
    document.querySelectorAll("[data-explorer]").forEach(setupExplorer);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
