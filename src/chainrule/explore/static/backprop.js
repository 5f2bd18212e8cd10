// The backprop view: type an expression and values, see the circuit with values (green) and
// gradients (red), and step the backward pass one edge at a time. backprop/graph answers the
// drawing (an SVG whose edges carry id="e-<node>-<index>" and data-step) and viz.trace's lines;
// this file only shows, hides and highlights them. Registers cr.views.backprop.
"use strict";

(() => {
  const $ = (root, selector) => root.querySelector(selector);

  cr.views.backprop = {
    init(section) {
      document.head.append(cr.el("link", {rel: "stylesheet", href: "/static/backprop.css"}));
      const expr = cr.el("input", {type: "text", id: "bp-expr", size: 46, maxlength: 200, "aria-label": "expression",
        value: "(x + y) * z"});
      const values = cr.el("input", {type: "text", id: "bp-values", size: 34, "aria-label": "values",
        value: "x=-2, y=5, z=-4"});
      const upstream = cr.el("input", {type: "number", id: "bp-upstream", value: 1, step: "any", "aria-label": "upstream"});
      const draw = cr.el("button", {id: "bp-draw", class: "primary"}, "Draw");
      const preset = cr.el("select", {id: "bp-preset", "aria-label": "lecture examples"},
        cr.el("option", {value: ""}, "lecture examples…"));
      draw.addEventListener("click", () => this.load(section));
      for (const input of [expr, values, upstream]) {
        input.addEventListener("keydown", (e) => e.key === "Enter" && this.load(section));
      }
      preset.addEventListener("change", () => this.usePreset(section, preset.value));
      const button = (id, text, to) => {
        const b = cr.el("button", {id}, text);
        b.addEventListener("click", () => this.go(section, to()));
        return b;
      };
      section.append(
        cr.el("h2", {}, "Backprop: the chain rule, one edge at a time"),
        cr.el("div", {class: "panel bp-inputs"},
          cr.el("label", {}, "f = ", expr), cr.el("label", {}, "at ", values),
          cr.el("label", {title: "the gradient that arrives at f (1 for the loss itself)"}, "upstream df = ", upstream),
          draw, preset,
          cr.el("p", {class: "muted", id: "bp-rule"},
            "Functions: exp log sqrt sigmoid tanh relu abs max min; operators + − * / **. ",
            "The same parser and trace as ", cr.el("code", {}, "chainrule graph EXPR NAME=VALUE ..."), ".")),
        cr.el("div", {class: "panel"},
          cr.el("div", {class: "bp-controls"},
            button("bp-reset", "◀◀ reset", () => 0), button("bp-back", "◀ back", () => this.k - 1),
            button("bp-step", "step ▶", () => this.k + 1), button("bp-all", "run all ▶▶", () => this.steps.length),
            cr.el("b", {id: "bp-counter"}), cr.el("span", {class: "muted"}, "(or the ← → keys)")),
          cr.el("div", {id: "bp-graph"}),
          cr.el("p", {id: "bp-now"})),
        cr.el("div", {class: "row"},
          cr.el("div", {class: "panel bp-results"}, cr.el("h3", {}, "Forward and backward"), cr.el("div", {id: "bp-results"})),
          cr.el("div", {class: "panel bp-trace"},
            cr.el("h3", {}, "The backward pass, as chainrule graph prints it"),
            cr.el("div", {class: "muted", id: "bp-trace-header"}),
            cr.el("ol", {id: "bp-trace", start: 1}))));
      document.addEventListener("keydown", (e) => {
        if (section.hidden || !this.steps || e.target.matches("input, select, textarea")) return;
        if (e.key === "ArrowRight") this.go(section, this.k + 1);
        else if (e.key === "ArrowLeft") this.go(section, this.k - 1);
      });
      cr.api("backprop/presets").then((answer) => {
        this.presets = answer.presets;
        preset.append(...answer.presets.map((p, i) => cr.el("option", {value: i}, p.title)));
      }).catch(() => null);
      this.load(section);
    },

    usePreset(section, index) {
      const p = this.presets && this.presets[index];
      if (!p) return;
      $(section, "#bp-expr").value = p.expr;
      $(section, "#bp-values").value = p.values;
      $(section, "#bp-upstream").value = p.upstream;
      $(section, "#bp-preset").value = "";
      this.rule = p.rule ? p.title + ": " + p.rule : "";
      this.load(section);
    },

    // The newest request wins: an older answer that arrives late (the page's first load, say) is
    // dropped instead of drawing over it.
    async load(section) {
      const ticket = (this.loads = (this.loads || 0) + 1);
      const up = $(section, "#bp-upstream").value.trim();
      const payload = {expr: $(section, "#bp-expr").value, values: $(section, "#bp-values").value,
        upstream: up === "" ? 1 : Number(up)};
      let answer;
      try {
        answer = await cr.api("backprop/graph", payload);
      } catch (err) {
        return; // cr.api shows the message; the last good graph stays
      }
      if (ticket !== this.loads) return;
      this.steps = answer.steps;
      const graph = $(section, "#bp-graph");
      graph.innerHTML = answer.svg; // the server's SVG: every text in it is XML-escaped there
      const picture = $(graph, "svg");
      if (picture) picture.style.maxWidth = "none"; // a wide graph scrolls rather than shrinks
      this.collect(graph);
      this.showResults(section, answer);
      const list = $(section, "#bp-trace");
      $(section, "#bp-trace-header").textContent = answer.trace_header;
      list.replaceChildren(...answer.steps.map((s, k) => {
        const li = cr.el("li", {"data-step": k, "data-edge": s.edge || ""}, cr.el("code", {}, s.text));
        li.addEventListener("click", () => this.go(section, k + 1));
        return li;
      }));
      const note = $(section, "#bp-rule");
      if (this.rule) note.textContent = this.rule;
      this.rule = "";
      this.go(section, 0);
    },

    // For each drawn edge its step; for each node the last step that brings it gradient.
    collect(graph) {
      this.edges = [...graph.querySelectorAll("g.edge[data-step]")];
      this.lastStep = new Map();
      for (const e of this.edges) {
        const source = e.dataset.source;
        this.lastStep.set(source, Math.max(this.lastStep.get(source) ?? -1, Number(e.dataset.step)));
      }
      this.nodes = [...graph.querySelectorAll("g.node")];
    },

    showResults(section, answer) {
      const row = (name, text, cls) => cr.el("tr", {}, cr.el("th", {}, name), cr.el("td", {class: cls}, text));
      $(section, "#bp-results").replaceChildren(
        cr.el("table", {class: "numbers bp-numbers"},
          row("f", answer.f_text, "value"),
          answer.gradients.map((g) => row("df/d" + g.name, g.text, "grad"))),
        cr.el("p", {class: "muted"}, "seeded with upstream df = " + cr.fmt(answer.upstream)));
      $(section, "#bp-results tr").id = "bp-f";
    },

    // Show the pass after k steps: edges 0..k-1 done (their gradient shown), edge k-1 current.
    go(section, k) {
      if (!this.steps) return;
      this.k = Math.max(0, Math.min(this.steps.length, k));
      for (const e of this.edges) {
        const step = Number(e.dataset.step);
        e.classList.toggle("done", step < this.k);
        e.classList.toggle("current", step === this.k - 1);
        e.classList.toggle("pending", step >= this.k);
      }
      const current = this.steps[this.k - 1];
      const target = current && current.edge ? $(section, "#" + CSS.escape(current.edge)) : null;
      for (const n of this.nodes) {
        n.classList.toggle("pending", (this.lastStep.get(n.id) ?? -1) >= this.k);
        n.classList.toggle("current", !!target && (n.id === target.dataset.target || n.id === target.dataset.source));
      }
      for (const li of section.querySelectorAll("#bp-trace li")) {
        const step = Number(li.dataset.step);
        li.className = step < this.k - 1 ? "done" : step === this.k - 1 ? "current" : "pending";
      }
      const li = $(section, "#bp-trace li.current");
      if (li) li.scrollIntoView({block: "nearest"});
      $(section, "#bp-counter").textContent = `step ${this.k} / ${this.steps.length}`;
      $(section, "#bp-back").disabled = this.k === 0;
      $(section, "#bp-step").disabled = this.k === this.steps.length;
      this.explain(section, current);
    },

    explain(section, s) {
      const now = $(section, "#bp-now");
      if (!s) {
        now.replaceChildren(this.steps.length
          ? "Forward pass done: every value is known. Step to send the gradient back from f, one edge at a time."
          : "No variable reaches f: there is no gradient to send back.");
        return;
      }
      const slot = ` (input ${s.index} of ${s.symbol})`;
      now.replaceChildren(
        cr.el("b", {}, `${s.node} → ${s.input}`), slot + ": ",
        cr.el("span", {class: "grad"}, cr.fmt(s.upstream)), " (upstream, d out / d " + s.node + ") × ",
        cr.el("span", {}, s.local === null ? "local" : s.local), " (local, d " + s.node + " / d " + s.input + ") = ",
        cr.el("span", {class: "grad"}, cr.fmt(s.downstream)), " (downstream, this edge's share of d out / d " + s.input + ")");
    },
  };
})();
