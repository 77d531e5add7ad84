"""What a letter template reads, and what is wrong with it: a walk over its Jinja AST.

Private to ``engine.letters.renderer``: ``analyse`` gives, for one templated piece (a body, a
header...), the dotted context paths it reads, the values it prints plainly, the top-level
names it uses and every problem found before it ever runs: private attributes (sandbox
escapes), turning escaping off, including other templates, and constants that could
exhaust memory (``'a' * 10**9``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateError, nodes

# No letter needs a constant this large (a repeat count, a range, a width) ...
_LARGE = 10_000
# ... nor a format width this wide (checked here and while a letter renders).
WIDE_FORMAT = re.compile(r"%[-+ #0]*\d{5,}|\{[^{}]*:[^{}]*\d{5,}")
# Filters that iterate their value: a path given to one is a list ("[]" in Usage.paths).
_LIST_FILTERS = frozenset({"join", "first", "last", "sort", "unique", "map", "select", "reject",
                           "selectattr", "rejectattr", "list", "sum", "min", "max", "batch",
                           "slice", "groupby"})


@dataclass
class Usage:
    """What one templated piece reads, and what is wrong with it."""

    paths: set[str] = field(default_factory=set)  # "[]" marks the items of a list
    printed: set[str] = field(default_factory=set)  # bare {{ a.b }} outputs that always run
    names: dict[str, int] = field(default_factory=dict)  # top-level name -> first line
    lines: dict[str, int] = field(default_factory=dict)  # path -> the first line reading it
    problems: list[tuple[int | None, str]] = field(default_factory=list)


_Scope = dict[str, str | None]


def analyse(env: Environment, source: str) -> Usage:
    """Paths, printed values and problems of one templated piece."""
    usage = Usage()
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        usage.problems.append((getattr(exc, "lineno", None), f"syntax error: {exc.message}"))
        return usage
    reader = _Reader(usage, frozenset(env.globals))
    reader.visit(tree, {})
    for node in tree.body:  # only outputs at the top level always run
        if isinstance(node, nodes.Output):
            usage.printed.update(p for c in node.nodes if (p := reader.path(_formatted(c), {})))
    return usage


# The letter helpers that format a value (engine/core/text.py): ``{{ fields.x|money }}``
# still prints fields.x.
FORMATTING = frozenset({"sentence"})


def _formatted(node: nodes.Node) -> nodes.Node:
    """The value a formatting filter prints (``a.b`` of ``a.b|money``), else the node."""
    while isinstance(node, nodes.Filter) and node.name in FORMATTING and node.node is not None:
        node = node.node
    return node


def _chain(node: nodes.Node) -> tuple[nodes.Node, list[str | None]]:
    """Split ``a.b['c'][0][x]`` into its base ``a`` and parts "b", "c", "[]", None."""
    parts: list[str | None] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        is_const = isinstance(node, nodes.Getattr) or isinstance(node.arg, nodes.Const)
        parts.append(key if is_const and isinstance(key, str) else
                     "[]" if is_const and isinstance(key, int) else None)
        node = node.node
    return node, parts[::-1]


def _names(target: nodes.Node) -> list[str]:
    """The names a target (``x`` or ``k, v``) binds."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [n.name for n in target.find_all(nodes.Name)]


def _private(name: object) -> bool:
    """Is ``name`` (an attribute, or a dotted one given to map/sort/...) private?

    A lone "_" is not a name: ``replace('_', ' ')`` is fine.
    """
    return isinstance(name, str) and re.search(r"(^|\.)_\w", name) is not None


class _Reader:
    """Walks a Jinja AST with the local names in scope, filling a Usage.

    The scope maps each local name to the context path it stands for (a loop variable
    over ``contacts`` stands for ``contacts[]``) or None (a value made in the template).
    """

    def __init__(self, usage: Usage, globals_: frozenset[str]) -> None:
        self.usage = usage
        self.globals = globals_  # range, cycler...: names that are not context

    def problem(self, node: nodes.Node, text: str) -> None:
        self.usage.problems.append((node.lineno, text))

    def visit(self, node: nodes.Node, scope: _Scope) -> None:
        getattr(self, f"visit_{type(node).__name__}", self.children)(node, scope)

    def children(self, node: nodes.Node, scope: _Scope) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def path(self, node: nodes.Node | None, scope: _Scope) -> str | None:
        """The context path ``node`` reads, if it is a plain chain of names."""
        base, parts = _chain(node) if node is not None else (None, [])
        if not isinstance(base, nodes.Name):
            return None
        path = scope[base.name] if base.name in scope else base.name
        for part in parts:
            if path is None or part is None:
                break
            path += part if part == "[]" else f".{part}"
        return path

    def visit_Name(self, node: nodes.Name, scope: _Scope) -> None:
        if node.ctx == "load":
            self.visit_Getattr(node, scope)

    def visit_Getattr(self, node: nodes.Node, scope: _Scope) -> None:
        path = self.path(node, scope)
        if path and path.split(".")[0] not in self.globals:
            self.usage.paths.add(path)
            self.usage.lines.setdefault(path, node.lineno)
        while isinstance(node, (nodes.Getattr, nodes.Getitem)):
            key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", 0)
            if _private(key):
                self.problem(node, f"'{key}' is private: a template may not read names "
                                   "starting with '_'")
            if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
                self.visit(node.arg, scope)
            node = node.node
        if isinstance(node, nodes.Name) and node.name not in scope:
            self.usage.names.setdefault(node.name, node.lineno)
        elif not isinstance(node, nodes.Name):
            self.visit(node, scope)

    visit_Getitem = visit_Getattr

    def visit_Call(self, node: nodes.Call, scope: _Scope) -> None:
        self.arguments(node, scope)
        if isinstance(node.node, nodes.Getattr):  # a method: the object is what is read
            method = node.node
            if _private(method.attr):
                self.problem(node, f"'{method.attr}' is private: a template may not read "
                                   "names starting with '_'")
            self.visit(method.node, scope)
        else:
            self.visit(node.node, scope)

    def arguments(self, node: nodes.Call | nodes.Filter | nodes.Test, scope: _Scope) -> None:
        for arg in (*node.args, *(k.value for k in node.kwargs), node.dyn_args, node.dyn_kwargs):
            if isinstance(arg, nodes.Const) and _private(arg.value):
                # map(attribute='__class__') and the like reach attributes by name
                self.problem(arg, f"'{arg.value}' is private: a template may not read names "
                                  "starting with '_'")
            if arg is not None:
                self.visit(arg, scope)

    def visit_Filter(self, node: nodes.Filter | nodes.Test, scope: _Scope) -> None:
        if node.name == "safe":
            self.problem(node, "the 'safe' filter turns escaping off: a value could break "
                               "the document")
        if node.name == "attr":
            self.problem(node, "the 'attr' filter is not allowed: write a.b instead")
        items = self.path(node.node, scope)
        if items and node.name in _LIST_FILTERS and isinstance(node, nodes.Filter):
            self.usage.paths.add(items + "[]")
        self.arguments(node, scope)
        if node.node is not None:
            self.visit(node.node, scope)

    visit_Test = visit_Filter

    def visit_For(self, node: nodes.For, scope: _Scope) -> None:
        self.visit(node.iter, scope)
        inner: _Scope = {**scope, "loop": None, **dict.fromkeys(_names(node.target))}
        items = self.path(node.iter, scope)
        if items and isinstance(node.target, nodes.Name):
            inner[node.target.name] = items + "[]"
            self.usage.paths.add(items + "[]")
        for child in ([node.test] if node.test else []) + node.body:
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def visit_Assign(self, node: nodes.Assign, scope: _Scope) -> None:
        self.visit(node.node, scope)
        alias = self.path(node.node, scope) if isinstance(node.target, nodes.Name) else None
        scope.update(dict.fromkeys(_names(node.target), alias))

    def visit_AssignBlock(self, node: nodes.AssignBlock, scope: _Scope) -> None:
        inner = dict(scope)
        for child in node.body:
            self.visit(child, inner)
        scope.update(dict.fromkeys(_names(node.target)))

    def visit_With(self, node: nodes.With, scope: _Scope) -> None:
        for value in node.values:
            self.visit(value, scope)
        inner: _Scope = {**scope, **dict.fromkeys(n for t in node.targets for n in _names(t))}
        for child in node.body:
            self.visit(child, inner)

    def visit_Macro(self, node: nodes.Macro | nodes.CallBlock, scope: _Scope) -> None:
        for default in node.defaults:
            self.visit(default, scope)
        if isinstance(node, nodes.CallBlock):
            self.visit(node.call, scope)
        else:
            scope[node.name] = None
        inner: _Scope = {**scope, **dict.fromkeys(["caller", "varargs", "kwargs"])}
        inner.update(dict.fromkeys(arg.name for arg in node.args))
        for child in node.body:
            self.visit(child, inner)

    visit_CallBlock = visit_Macro

    def visit_Pow(self, node: nodes.Pow, scope: _Scope) -> None:
        self.problem(node, "'**' is not allowed: it can build numbers that exhaust memory")
        self.children(node, scope)

    def visit_Mul(self, node: nodes.Mul, scope: _Scope) -> None:
        factors: list[nodes.Node] = [node]
        product = 1
        while factors:
            factor = factors.pop()
            if isinstance(factor, nodes.Mul):
                factors += [factor.left, factor.right]
            elif isinstance(factor, nodes.Const) and isinstance(factor.value, int):
                product *= abs(factor.value)
            else:
                self.visit(factor, scope)
        if product > _LARGE:
            self.problem(node, f"repeating something {product} times could exhaust memory")

    def visit_Const(self, node: nodes.Const, scope: _Scope) -> None:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > _LARGE:
            self.problem(node, f"the constant {value} is too large for a letter "
                               "(it could exhaust memory)")
        if isinstance(value, str) and WIDE_FORMAT.search(value):
            self.problem(node, "a format width this large could exhaust memory")

    def visit_ScopedEvalContextModifier(self, node: nodes.EvalContextModifier,
                                        scope: _Scope) -> None:
        if any(option.key == "autoescape" for option in node.options):
            self.problem(node, "autoescape may not be changed: a value could break the document")
        self.children(node, scope)

    visit_EvalContextModifier = visit_ScopedEvalContextModifier

    def visit_Include(self, node: nodes.Node, scope: _Scope) -> None:
        self.problem(node, "a letter may not include, import or extend other templates")

    visit_Import = visit_FromImport = visit_Extends = visit_Include
