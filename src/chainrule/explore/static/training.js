// The training view (being built): registers cr.views.training.
"use strict";

cr.views.training = {
  init(section) {
    section.append(cr.el("h2", {}, "training"));
  },
};
