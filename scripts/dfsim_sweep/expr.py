"""The arithmetic of derived parameters and filters: a tiny grammar, parsed, never eval'd.

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/" | "//" | "%") unary)*
    unary  := ("-" | "+") unary | atom
    atom   := NUMBER | NAME | FUNC "(" expr ("," expr)* ")" | "(" expr ")"
    FUNC   := min | max | floor | ceil | round | abs

NUMBER is a decimal integer or float (`12`, `0.5`, `1e3`); NAME is an identifier bound to a
number (a constant, a parameter or an earlier derived value). `/` is true division, `//` floor
division; integers stay integers under + - * // %. floor, ceil and round return integers.
"""

import math
import re

MAX_LENGTH = 1000
MAX_NESTING = 40
FUNCTIONS = {
    "min": (2, None, min),
    "max": (2, None, max),
    "floor": (1, 1, math.floor),
    "ceil": (1, 1, math.ceil),
    "round": (1, 1, round),
    "abs": (1, 1, abs),
}
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>//|[-+*/%(),]))")


class ExprError(Exception):
    """A syntax error: `message` and the 1-based `column` where it was found."""

    def __init__(self, message, column):
        super().__init__(f"{message} at column {column}")
        self.message, self.column = message, column


class EvalError(Exception):
    """An expression that cannot be evaluated at one point (division by zero, too large)."""


class NotANumber(EvalError):
    """A NAME bound to a value that is not a number (a string, a boolean, an array...)."""


def _tokens(text):
    """[(kind, text, column)] of `text`, ending with ("end", "", column); ExprError on junk."""
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise ExprError(f"unexpected {text[col - 1]!r}", col)
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    out.append(("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text):
        self.toks, self.i, self.depth = _tokens(text), 0, 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, op):
        tok = self.take()
        if tok[1] != op or tok[0] != "op":
            raise ExprError(f"expected {op!r}, got {_show(tok)}", tok[2])

    def expr(self):
        node = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            node = (self.take()[1], node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "//", "%"):
            node = (self.take()[1], node, self.unary())
        return node

    def unary(self):
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("-", "+"):
            self.take()
            self.nest(tok)
            node = ("neg" if tok[1] == "-" else "pos", self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def nest(self, tok):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError(f"nested deeper than {MAX_NESTING} levels", tok[2])

    def atom(self):
        tok = self.take()
        kind, text, col = tok
        if kind == "num":
            value = float(text) if any(c in text for c in ".eE") else int(text)
            if isinstance(value, float) and not math.isfinite(value):
                raise ExprError(f"number {text} is too large", col)
            return ("num", value)
        if kind == "name":
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                if text not in FUNCTIONS:
                    raise ExprError(f"unknown function {text!r} (known: "
                                    f"{', '.join(sorted(FUNCTIONS))})", col)
                self.take()
                self.nest(tok)
                args = [self.expr()]
                while self.peek()[1] == "," and self.peek()[0] == "op":
                    self.take()
                    args.append(self.expr())
                self.expect(")")
                self.depth -= 1
                lo, hi, _ = FUNCTIONS[text]
                if len(args) < lo or (hi is not None and len(args) > hi):
                    want = f"{lo}" if lo == hi else f"at least {lo}"
                    raise ExprError(f"{text}() takes {want} argument{'s' if lo > 1 else ''}, "
                                    f"got {len(args)}", col)
                return ("call", text, args)
            if text in FUNCTIONS:
                raise ExprError(f"function {text!r} needs arguments in parentheses", col)
            return ("name", text, col)
        if kind == "op" and text == "(":
            self.nest(tok)
            node = self.expr()
            self.expect(")")
            self.depth -= 1
            return node
        raise ExprError(f"expected a number, a name or '(', got {_show(tok)}", col)


def _show(tok):
    return "the end" if tok[0] == "end" else repr(tok[1])


def parse(text):
    """The syntax tree of `text` (nested tuples); ExprError on any syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("expected an arithmetic expression, got an empty one", 1)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expected at most {MAX_LENGTH} characters, got {len(text)}", 1)
    p = _Parser(text)
    node = p.expr()
    tok = p.peek()
    if tok[0] != "end":
        raise ExprError(f"unexpected {_show(tok)}", tok[2])
    return node


def names(node):
    """[(name, column)] of every NAME in the tree, in reading order."""
    if node[0] == "name":
        return [(node[1], node[2])]
    if node[0] == "num":
        return []
    if node[0] == "call":
        return [n for a in node[2] for n in names(a)]
    return [n for child in node[1:] for n in names(child)]


def evaluate(node, env):
    """The value (int or float) of the tree with NAMEs from `env`; EvalError when impossible."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        value = env[node[1]]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise NotANumber(f"{node[1]} is not a number (it is {_json(value)})")
        return value
    if kind == "neg":
        return -evaluate(node[1], env)
    if kind == "pos":
        return evaluate(node[1], env)
    if kind == "call":
        args = [evaluate(a, env) for a in node[2]]
        try:
            value = FUNCTIONS[node[1]][2](*args)
        except (OverflowError, ValueError) as e:
            raise EvalError(f"{node[1]}(): {e}") from None
        return _finite(value)
    a, b = evaluate(node[1], env), evaluate(node[2], env)
    try:
        if kind == "+":
            value = a + b
        elif kind == "-":
            value = a - b
        elif kind == "*":
            value = a * b
        elif kind == "/":
            value = a / b
        elif kind == "//":
            value = a // b
        else:
            value = a % b
    except ZeroDivisionError:
        raise EvalError("division by zero") from None
    except OverflowError:
        raise EvalError("the result is too large") from None
    return _finite(value)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        raise EvalError("the result is too large")
    if isinstance(value, int) and abs(value) > 10 ** 18:
        raise EvalError("the result is too large")
    return value


def _json(value):
    import json
    return json.dumps(value)
