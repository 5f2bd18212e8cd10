// The network view (being built): registers cr.views.network.
"use strict";

cr.views.network = {
  init(section) {
    section.append(cr.el("h2", {}, "network"));
  },
};
