// Figures in the reader's colour scheme, and the explorer. No network, no library.
(function () {
  "use strict";

  // ---- figures in the page's colour scheme -------------------------------------------
  // Each figure is one <picture> whose dark sources carry media="(prefers-color-scheme: dark)",
  // so the browser fetches one scheme's files only. When the reader's choice on the site's
  // toggle differs from the system's, the dark sources are re-aimed at that choice.

  const DARK = "(prefers-color-scheme: dark)";

  function chosenScheme() {
    // Material keeps the toggle's choice; none means the page follows the system.
    const palette = window.__md_get && window.__md_get("__palette");
    return palette && palette.color ? document.body.getAttribute("data-md-color-scheme") : null;
  }

  function aimSources() {
    const scheme = chosenScheme();
    for (const source of document.querySelectorAll('source[data-scheme="dark"]')) {
      if (!source.dataset.media) source.dataset.media = source.media;
      const media = source.dataset.media;
      if (scheme === null) source.media = media;
      else source.media = scheme === "slate" ? media.replace(DARK, "all") : "not all";
    }
  }

  aimSources();
  new MutationObserver(aimSources).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });

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
      if (root.dataset.run !== run.slug) {
        window.sgdPlayer.attach(animation).load(run.player, run.alt);
        const source = lossFigure.querySelector("source");
        const img = lossFigure.querySelector("img");
        source.srcset = run.loss.dark;
        img.src = run.loss.light;
        img.alt = run.loss_alt;
        for (const dd of root.querySelectorAll("dd[data-field]")) {
          dd.textContent = run.numbers[dd.dataset.field];
        }
        root.dataset.run = run.slug;
      }
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

    root.dataset.run = runs[0].slug; // what the page was built showing
    show(fromHash() || runs[0], "");
  }

  function init() {
    document.querySelectorAll("[data-explorer]").forEach(setupExplorer);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
