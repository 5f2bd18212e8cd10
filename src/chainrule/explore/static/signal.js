// The signal view (being built): registers cr.views.signal.
"use strict";

cr.views.signal = {
  init(section) {
    section.append(cr.el("h2", {}, "signal"));
  },
};
