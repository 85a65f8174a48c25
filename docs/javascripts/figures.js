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
  // Radio buttons for the optimizer, the data, the learning rate and the batch size; the
  // runs' data is inline in the page. The choice lives in the URL's fragment
  // (#lr=0.1&bs=16, and &opt=adam&sched=cosine&data=moved when they are not the lesson's), so a link
  // reproduces it; an address that names no run leaves the run shown and says why.

  const KEYS = ["opt", "sched", "data", "lr", "bs"]; // also the order a choice is kept in
  const DEFAULTS = { opt: "sgd", sched: "constant", data: "lesson" };
  const NAMES = { opt: "optimizer", sched: "schedule", data: "data", lr: "lr", bs: "batch size" };
  const GROUPS = {
    opt: ["optimizer", "optimizers"],
    sched: ["schedule", "schedules"],
    data: ["data setting", "data settings"],
    lr: ["learning rate", "learning rates"],
    bs: ["batch size", "batch sizes"],
  };

  function setupExplorer(root) {
    const runs = JSON.parse(root.querySelector("script[data-runs]").textContent);
    const form = root.querySelector("form");
    const status = root.querySelector(".sgd-explorer__status");
    const animation = root.querySelector(".sgd-anim");
    const lossFigure = root.querySelector(".sgd-fig");

    function find(choice) {
      return runs.find(function (r) {
        return KEYS.every(function (k) { return r[k] === choice[k]; });
      });
    }

    // A group's radio buttons, and the one with a value: compared, never put in a selector,
    // since a value can come from the address.
    function inputs(name) {
      return Array.from(form.querySelectorAll('input[name="' + name + '"]'));
    }

    function inputOf(name, value) {
      return inputs(name).find(function (i) { return i.value === value; });
    }

    function values(name) {
      return inputs(name).map(function (i) { return i.value; });
    }

    function label(name, value) {
      const input = inputOf(name, value);
      return input ? input.parentElement.textContent.trim() : value;
    }

    function chosen() {
      const choice = {};
      for (const k of KEYS) {
        const input = form.querySelector('input[name="' + k + '"]:checked');
        choice[k] = input ? input.value : null;
      }
      return choice;
    }

    function check(name, value) {
      const input = inputOf(name, value);
      if (input) input.checked = true;
    }

    function show(run, note) {
      for (const k of KEYS) check(k, run[k]);
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
        const live = animation.querySelector(".sgd-anim__live a");
        if (live) live.href = live.getAttribute("href").split("?")[0] + "?run=" + encodeURIComponent(run.slug);
      }
      status.textContent = "Showing " + run.describe + "." + (note ? " " + note : "");
    }

    function hashOf(run) {
      let hash = "#lr=" + run.lr + "&bs=" + run.bs;
      for (const k of ["opt", "sched", "data"]) {
        if (run[k] !== DEFAULTS[k]) hash += "&" + k + "=" + run[k];
      }
      return hash;
    }

    // "a, b and c"
    function and(words) {
      return words.length < 2 ? words.join("") : words.slice(0, -1).join(", ") + " and " +
        words[words.length - 1];
    }

    // What a group allows, in words: every value, or, for a long group in full, its range.
    function allowed(key, vals) {
      const words = vals.map(function (v) { return label(key, v); });
      if (words.length === 1) return "the " + GROUPS[key][0] + " is " + words[0];
      const whole = words.length > 8 && words.length === values(key).length;
      return "the " + GROUPS[key][1] + " are " + (whole
        ? "the " + words.length + " above, from " + words[0] + " to " + words[words.length - 1]
        : and(words));
    }

    // Why an address names no run, and what there is: its values that are no run's, or, when
    // each value is some run's, the choices that no run has together.
    function notARun(choice) {
      const unknown = KEYS.filter(function (k) { return !values(k).includes(choice[k]); });
      if (unknown.length) {
        const asked = unknown.filter(function (k) { return choice[k] !== null; });
        const absent = unknown.filter(function (k) { return choice[k] === null; });
        const said = [];
        if (asked.length) {
          said.push("There is no run with " + asked.map(function (k) {
            const v = choice[k];
            return NAMES[k] + " " + (v.length > 24 ? v.slice(0, 24) + "…" : v);
          }).join(" or ") + ".");
        }
        if (absent.length) {
          said.push("The address names no " + absent.map(function (k) {
            return GROUPS[k][0];
          }).join(" and no ") + ".");
        }
        const what = unknown.map(function (k) { return allowed(k, values(k)); }).join("; ");
        return said.join(" ") + " " + what[0].toUpperCase() + what.slice(1) + ".";
      }
      // A choice at its default (which the address need not give) is named only when it
      // alone is in the way.
      const named = KEYS.filter(function (k) {
        return choice[k] !== DEFAULTS[k] || runs.some(function (r) {
          return KEYS.every(function (o) { return o === k || r[o] === choice[o]; });
        });
      });
      const words = function (k) { return NAMES[k] + " " + label(k, choice[k]); };
      let said = "There is no run with " + and(named.map(words)) + ".";
      for (const k of named.slice().reverse()) {
        const others = KEYS.filter(function (o) { return o !== k; });
        const vals = values(k).filter(function (v) {
          return runs.some(function (r) {
            return r[k] === v && others.every(function (o) { return r[o] === choice[o]; });
          });
        });
        if (vals.length) {
          const rest = named.filter(function (o) { return o !== k; });
          said += " With " + and(rest.map(words)) + ", " + allowed(k, vals) + ".";
          break;
        }
      }
      return said;
    }

    // The run the address names, or the one shown with a word on why; nothing when the
    // fragment is no choice of runs (a heading's or a code line's anchor).
    function follow() {
      const params = new URLSearchParams(window.location.hash.slice(1));
      if (!KEYS.some(function (k) { return params.has(k); })) return false;
      const choice = {};
      for (const k of KEYS) choice[k] = params.get(k) || DEFAULTS[k] || null;
      const run = find(choice);
      if (run) show(run, "");
      else {
        const shown = runs.find(function (r) { return r.slug === root.dataset.run; });
        show(shown, notARun(choice));
      }
      return true;
    }

    // The run that keeps `key` as just chosen and agrees with the other choices as far as
    // it can: the earlier a key in KEYS, the more it counts.
    function nearest(choice, key) {
      let best = null;
      let bestScore = -1;
      for (const r of runs) {
        if (r[key] !== choice[key]) continue;
        let score = 0;
        KEYS.forEach(function (k, i) {
          if (k !== key && r[k] === choice[k]) score += 1 << (KEYS.length - i);
        });
        if (score > bestScore) {
          best = r;
          bestScore = score;
        }
      }
      return best;
    }

    form.addEventListener("change", function (event) {
      const choice = chosen();
      let run = find(choice);
      let note = "";
      if (!run) {
        // Not every combination is in the table: keep what was just chosen, and the nearest
        // run that has it.
        const key = event.target.name;
        run = nearest(choice, key);
        const missing = KEYS.filter(function (k) { return k !== key && run[k] !== choice[k]; })
          .map(function (k) { return NAMES[k] + " " + label(k, choice[k]); });
        note = "There is no run with " + NAMES[key] + " " + label(key, choice[key]) +
          " and " + missing.join(" and ") + ".";
      }
      show(run, note);
      history.replaceState(null, "", hashOf(run));
    });

    window.addEventListener("hashchange", follow);

    root.dataset.run = runs[0].slug; // what the page was built showing
    if (!follow()) show(runs[0], "");
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
