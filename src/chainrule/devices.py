"""``chainrule.devices`` is ``chainrule.backend.devices`` (the same module object): kept because
scripts spell ``cr.devices.DeviceError`` and older imports ``from chainrule import devices``."""

import sys

from .backend import devices

sys.modules[__name__] = devices
