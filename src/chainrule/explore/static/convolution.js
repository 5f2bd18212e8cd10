// The convolution view (being built): registers cr.views.convolution.
"use strict";

cr.views.convolution = {
  init(section) {
    section.append(cr.el("h2", {}, "convolution"));
  },
};
