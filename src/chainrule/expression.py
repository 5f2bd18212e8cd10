"""A safe arithmetic-expression parser that builds a chainrule graph, for ``chainrule graph``.

``parse("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, ...})`` walks Python's ``ast`` of the text
with a whitelist: numbers, the given variables, ``+ - * / **``, unary ``-``/``+``, parentheses,
and calls to exp, log, sqrt, sigmoid, tanh, relu, abs, max(a, b), min(a, b). Nothing is ever
``eval``-ed; anything else raises ``ExpressionError`` naming the token and its column.
"""

from __future__ import annotations

import ast
import numbers

from . import backend as B
from . import ops
from .autograd.errors import ChainruleError
from .autograd.tensor import Tensor

MAX_LENGTH = 10_000

FUNCTIONS = {  # name: (function, number of arguments)
    "exp": (ops.exp, 1),
    "log": (ops.log, 1),
    "sqrt": (ops.sqrt, 1),
    "sigmoid": (ops.sigmoid, 1),
    "tanh": (ops.tanh, 1),
    "relu": (ops.relu, 1),
    "abs": (ops.abs, 1),
    "max": (ops.maximum, 2),
    "min": (ops.minimum, 2),
}
BINARY = {ast.Add: ops.add, ast.Sub: ops.sub, ast.Mult: ops.mul, ast.Div: ops.div, ast.Pow: ops.pow}
# what a rejected construct is called in the message
KINDS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.Starred: "starred argument",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.JoinedStr: "f-string",
    ast.NamedExpr: "assignment expression",
}


class ExpressionError(ChainruleError, ValueError):
    """An expression that is not plain arithmetic on the given variables (one-line message)."""


OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}


def _position(line: int, col: int, indent: int) -> str:
    """1-based place in the text as the user typed it (``indent``: leading blanks stripped)."""
    return f"column {col + indent}" if line == 1 else f"line {line}, column {col}"


def _token(expr: str, node: ast.AST) -> str:
    token = ast.get_source_segment(expr, node) or type(node).__name__
    token = " ".join(token.split())  # one line, whatever the input
    return token if len(token) <= 40 else token[:37] + "..."


class _Evaluator:
    def __init__(self, expr: str, variables: dict[str, Tensor], indent: int) -> None:
        self.expr, self.variables, self.indent = expr, variables, indent

    def where(self, node: ast.AST) -> str:
        return _position(getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1, self.indent)

    def fail(self, node: ast.AST, what: str, hint: str = "") -> ExpressionError:
        return ExpressionError(f"{what} {_token(self.expr, node)!r} at {self.where(node)} is not allowed{hint}")

    def eval(self, node: ast.AST):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            kind = KINDS.get(type(node), type(node).__name__.lower())
            raise self.fail(node, kind)
        return method(node)

    def _Expression(self, node: ast.Expression):
        return self.eval(node.body)

    def _Constant(self, node: ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "string" if isinstance(value, (str, bytes)) else type(value).__name__
            raise self.fail(node, kind)
        try:  # float64 constants: no Python big-integer arithmetic (9**9**9 overflows to inf)
            return Tensor(B.numpy.float64(value), dtype=B.numpy.float64)
        except OverflowError:
            raise ExpressionError(f"number at {self.where(node)} is too large") from None

    def _Name(self, node: ast.Name):
        if node.id not in self.variables:
            known = ", ".join(self.variables) or "none given"
            hint = " (a function: call it)" if node.id in FUNCTIONS else f" (variables: {known})"
            raise ExpressionError(f"unknown name {node.id!r} at {self.where(node)}{hint}")
        return self.variables[node.id]

    def _BinOp(self, node: ast.BinOp):
        op = BINARY.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {OPERATORS.get(type(node.op), '?')!r} in")
        return op(self.eval(node.left), self.eval(node.right))

    def _UnaryOp(self, node: ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return ops.neg(self.eval(node.operand))
        if isinstance(node.op, ast.UAdd):
            return self.eval(node.operand)
        raise self.fail(node, f"operator {OPERATORS.get(type(node.op), '?')!r} in")

    def _Call(self, node: ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            raise self.fail(func, "function", f"; known functions: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise self.fail(node.keywords[0], "keyword argument")
        fn, arity = FUNCTIONS[func.id]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(arg, "starred argument")
        if len(node.args) != arity:
            raise ExpressionError(
                f"{func.id}() at {self.where(node)} takes {arity} "
                f"argument{'s' if arity > 1 else ''}, got {len(node.args)}"
            )
        return fn(*(self.eval(a) for a in node.args))


def _leaf(name: str, value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ExpressionError(f"variable {name!r}: expected a number, got {type(value).__name__}")
    return Tensor(B.numpy.float64(value), requires_grad=True, dtype=B.numpy.float64, name=name)


def variables(values: dict) -> dict[str, Tensor]:
    """Leaf tensors for ``values``: numbers become float64 leaves with ``requires_grad`` and ``.name``."""
    for name in values:
        if not (isinstance(name, str) and name.isidentifier()):
            raise ExpressionError(f"variable name {name!r} is not an identifier")
    return {name: _leaf(name, v) for name, v in values.items()}


def parse(expr: str, values: dict) -> Tensor:
    """Evaluate ``expr`` on chainrule tensors: the result's graph leads back to one leaf per variable.

    ``values`` maps names to numbers (made float64 leaves with ``requires_grad=True`` and ``.name``)
    or to tensors (used as given, so their ``.grad`` can be read after ``backward``).
    """
    if not isinstance(expr, str):
        raise TypeError(f"parse: expected the expression as a str, got {type(expr).__name__}")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(expr)} characters long; the limit is {MAX_LENGTH}")
    if not expr.strip():
        raise ExpressionError("empty expression")
    text = expr.strip()
    indent = len(expr) - len(expr.lstrip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        where = _position(err.lineno or 1, err.offset or 1, indent)
        raise ExpressionError(f"syntax error at {where}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply") from None
    except ValueError as err:  # e.g. a 5000-digit integer literal
        raise ExpressionError(f"cannot parse the expression: {err}") from None
    try:
        result = _Evaluator(text, variables(values), indent).eval(tree)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None
    return result
