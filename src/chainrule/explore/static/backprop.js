// The backprop view (being built): registers cr.views.backprop.
"use strict";

cr.views.backprop = {
  init(section) {
    section.append(cr.el("h2", {}, "backprop"));
  },
};
