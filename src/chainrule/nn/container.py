"""Containers: Sequential (a chain of layers), ModuleList and ModuleDict (a list / dict whose layers are registered)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from ..autograd.engine import is_grad_enabled
from ..backend import kernels
from .activation import ReLU
from .conv import Conv2d
from .module import Module


def _index(i, n: int, owner: str) -> int:
    i = operator.index(i)
    if not -n <= i < n:
        raise IndexError(f"{owner}: index {i} is out of range for {n} modules")
    return i % n


def _conv_then_relu(first: Module, second: Module) -> bool:
    """Whether ``first`` is a Conv2d and ``second`` a ReLU (exact types), neither with hooks."""
    hooked = any(m._forward_hooks or m._forward_pre_hooks for m in (first, second))
    return type(first) is Conv2d and type(second) is ReLU and not hooked


class Sequential(Module):
    """``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict(name=module))``: forward feeds each into the next.

    Children are named "0", "1", ... (or by the dict's keys), so parameters are "0.weight", "2.bias".

    In inference (no graph recorded) with the fast kernels, a Conv2d followed by a ReLU (exact
    types), neither with hooks, runs as one op (``Conv2d.forward_relu``: each piece of the conv's output clamped
    while it is in cache, not in a second pass over the whole output); the values are the same.
    """

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, _check_module(module, "Sequential"))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _check_module(module, "Sequential"))

    def forward(self, x):
        if is_grad_enabled() or kernels.reference():  # each layer an op of its own in the graph
            for module in self._modules.values():
                x = module(x)
            return x
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            if i + 1 < len(modules) and _conv_then_relu(modules[i], modules[i + 1]):
                x = modules[i].forward_relu(x)  # the two as one op (see the class docstring)
                i += 2
            else:
                x = modules[i](x)
                i += 1
        return x

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self._modules), "Sequential")]
        self._modules[key] = _check_module(module, "Sequential")  # in place: the order is kept

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        targets = keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Sequential")]]
        for key in targets:
            del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), _check_module(module, "Sequential"))
        return self


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ... (it has no forward of its own)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[_index(idx, len(mods), "ModuleList")]

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self._modules), "ModuleList")]
        self._modules[key] = _check_module(module, "ModuleList")

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _check_module(module, "ModuleList"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self


class ModuleDict(Module):
    """An ordered dict of modules, each registered as the child of its key (no forward of its own).

    ``ModuleDict({"conv": nn.Conv2d(1, 4, 3), "act": nn.ReLU()})``; a plain dict keeps its insertion order.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r} (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        self.add_module(key, _check_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) the modules of a mapping, or of an iterable of (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"ModuleDict.update: element {i} should be a (key, module) pair, got {pair!r}")
            self[pair[0]] = pair[1]


def _check_module(module, owner: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {type(module).__name__} is not an nn.Module")
    return module
