"""What a GraphQL document would ask of the server, measured in time linear in its size
(SPEC O3).

A fragment can be spread many times, and each fragment can spread others, so the
operation a document describes can be exponentially larger than its text (ten spreads
of the next fragment, seven levels deep: 10^7 paths in 659 bytes). Walking every path
would let one request hold a worker for minutes. So every definition is read once, and
a fragment's figures are computed once, from the figures of the fragments it spreads,
and reused wherever it is spread: each figure of the operation is what a walk of every
path would count, without the walk. The numbers may be astronomically large; Python's
integers hold them.

The figures depend on the document's text only (not on the schema or variables), so
they are safe to compute before validation, on documents that validation would refuse
(unknown fragments are ignored, a spread that closes a cycle adds nothing).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode,
    OperationDefinitionNode, SelectionSetNode,
)


@dataclass
class Figures:
    """What one definition (an operation or a fragment) asks for, its spreads expanded.

    * `depth`: nesting of fields that have a selection, introspection fields not counted
      (as strawberry's QueryDepthLimiter counts: `{ me { id } }` is 1);
    * `introspection_depth`: the same nesting, introspection fields counted too;
    * `aliases`, `directives`, `selections` (fields, inline fragments and spreads) and
      `spreads`: counted once for every place they would run, a fragment's content once
      for every path that spreads it.
    """

    depth: int = 0
    introspection_depth: int = 0
    aliases: int = 0
    directives: int = 0
    selections: int = 0
    spreads: int = 0

    def add(self, other: "Figures") -> None:
        self.aliases += other.aliases
        self.directives += other.directives
        self.selections += other.selections
        self.spreads += other.spreads


@dataclass
class _Spread:
    name: str
    depth: int | None  # None: inside an introspection field (adds no depth)
    introspection_depth: int


@dataclass
class _Local:
    """A definition read on its own, its spreads not yet expanded."""

    own: Figures
    spreads: list[_Spread]


@dataclass
class DocumentFigures:
    """Each operation's figures, and `selections`: the selections of every definition
    (operations and fragments alike) with its spreads expanded, which is what
    validation walks at most."""

    operations: dict[OperationDefinitionNode, Figures] = field(default_factory=dict)
    fragments: dict[str, Figures] = field(default_factory=dict)
    selections: int = 0


def _is_introspection(node: FieldNode) -> bool:
    return node.name.value.startswith("__")


def _read(selection_set: SelectionSetNode, directives: int, on_introspection: bool = False) -> _Local:
    """One definition's own figures and the spreads it contains, with the depth at
    which each sits. Recursive within the definition: the parser caps its nesting.
    Selections on an introspection type (`fragment F on __Type`) are introspection."""
    own = Figures(directives=directives)
    spreads: list[_Spread] = []

    def selections(nodes: Iterable, depth: int, full_depth: int, in_introspection: bool) -> None:
        for selection in nodes:
            own.selections += 1
            own.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    own.aliases += 1
                if selection.selection_set is None:
                    continue
                inside = in_introspection or _is_introspection(selection)
                inner_depth = depth if inside else depth + 1
                own.depth = max(own.depth, inner_depth)
                own.introspection_depth = max(own.introspection_depth, full_depth + 1)
                selections(selection.selection_set.selections, inner_depth, full_depth + 1, inside)
            elif isinstance(selection, InlineFragmentNode):
                selections(selection.selection_set.selections, depth, full_depth,
                           in_introspection or _on_introspection_type(selection))
            elif isinstance(selection, FragmentSpreadNode):
                own.spreads += 1
                spreads.append(_Spread(selection.name.value, None if in_introspection else depth, full_depth))

    selections(selection_set.selections, 0, 0, on_introspection)
    return _Local(own, spreads)


def _on_introspection_type(node: FragmentDefinitionNode | InlineFragmentNode) -> bool:
    return node.type_condition is not None and node.type_condition.name.value.startswith("__")


def _resolution_order(locals_: dict[str, _Local]) -> list[str]:
    """Fragments so that each comes after those it spreads (depth-first, without
    recursion: fragment chains may be long). A spread closing a cycle is skipped."""
    order: list[str] = []
    done: set[str] = set()
    for root in locals_:
        if root in done:
            continue
        path = [(root, iter(locals_[root].spreads))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread.name in locals_ and spread.name not in done and spread.name not in on_path:
                    path.append((spread.name, iter(locals_[spread.name].spreads)))
                    on_path.add(spread.name)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _expand(local: _Local, resolved: dict[str, Figures]) -> Figures:
    figures = Figures(depth=local.own.depth, introspection_depth=local.own.introspection_depth)
    figures.add(local.own)
    for spread in local.spreads:
        inner = resolved.get(spread.name)
        if inner is None:  # unknown, or closes a cycle: validation reports it
            continue
        figures.add(inner)
        if spread.depth is not None:
            figures.depth = max(figures.depth, spread.depth + inner.depth)
        figures.introspection_depth = max(figures.introspection_depth,
                                          spread.introspection_depth + inner.introspection_depth)
    return figures


def analyse(document: DocumentNode) -> DocumentFigures:
    """The figures of every definition of `document`, in time linear in its size."""
    fragment_locals: dict[str, _Local] = {}
    operation_locals: dict[OperationDefinitionNode, _Local] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            local = _read(definition.selection_set, len(definition.directives or ()),
                          _on_introspection_type(definition))
            fragment_locals.setdefault(definition.name.value, local)
        elif isinstance(definition, OperationDefinitionNode):
            operation_locals[definition] = _read(definition.selection_set, len(definition.directives or ()))

    result = DocumentFigures()
    for name in _resolution_order(fragment_locals):
        result.fragments[name] = _expand(fragment_locals[name], result.fragments)
    for operation, local in operation_locals.items():
        result.operations[operation] = _expand(local, result.fragments)
    result.selections = sum(f.selections for f in result.fragments.values()) + sum(
        f.selections for f in result.operations.values())
    return result


def same_name_pairs(document: DocumentNode) -> int:
    """How many pairs of fields sharing a response name graphql-core's
    OverlappingFieldsCanBeMerged would compare, at most: for every definition, the
    fields of each selection set merged like the executor merges them (a fragment once
    per set, sub-selections of same-named fields together), summed over the groups of
    n same-named fields as n × (n - 1) / 2. That rule is quadratic in those groups;
    this count is linear in the expanded selections, so call it only once `analyse`
    has bounded them (and the nesting)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = [d.selection_set for d in document.definitions
             if isinstance(d, (FragmentDefinitionNode, OperationDefinitionNode))]
    return sum(_merged_pairs([root], fragments) for root in roots)


def _merged_pairs(selection_sets: list[SelectionSetNode], fragments: dict[str, FragmentDefinitionNode]) -> int:
    groups: dict[str, list[FieldNode]] = {}
    visited: set[str] = set()
    pending = [selection for selection_set in selection_sets for selection in selection_set.selections]
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            groups.setdefault((selection.alias or selection.name).value, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in visited and name in fragments:
                visited.add(name)
                pending.extend(fragments[name].selection_set.selections)
    pairs = 0
    for group in groups.values():
        pairs += len(group) * (len(group) - 1) // 2
        inner = [node.selection_set for node in group if node.selection_set is not None]
        if inner:
            pairs += _merged_pairs(inner, fragments)
    return pairs
