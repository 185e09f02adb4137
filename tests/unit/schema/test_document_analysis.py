"""api/analysis.py counts what a walk of every path through the fragments would count,
without the walk (SPEC O3); api/cost.py prices a fragment once per type."""
from __future__ import annotations

import random
import time

import pytest
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, build_schema, parse

from api.analysis import Figures, analyse, same_name_pairs
from api.cost import query_cost
from bench.probe import fan_out


def _walk(selection_set, fragments, depth=0, full=0, introspection=False) -> Figures:
    """Every path, the slow way: what the old limiters did."""
    figures = Figures()
    for selection in selection_set.selections:
        figures.selections += 1
        figures.directives += len(selection.directives or ())
        if isinstance(selection, FieldNode):
            figures.aliases += selection.alias is not None
            if selection.selection_set is None:
                continue
            inside = introspection or selection.name.value.startswith("__")
            inner_depth = depth if inside else depth + 1
            figures.depth = max(figures.depth, inner_depth)
            figures.introspection_depth = max(figures.introspection_depth, full + 1)
            inner = _walk(selection.selection_set, fragments, inner_depth, full + 1, inside)
        elif isinstance(selection, InlineFragmentNode):
            inner = _walk(selection.selection_set, fragments, depth, full, introspection)
        else:
            assert isinstance(selection, FragmentSpreadNode)
            figures.spreads += 1
            inner = _walk(fragments[selection.name.value].selection_set, fragments, depth, full, introspection)
        figures.add(inner)
        figures.depth = max(figures.depth, inner.depth)
        figures.introspection_depth = max(figures.introspection_depth, inner.introspection_depth)
    return figures


def _random_document(seed: int) -> str:
    """Fragments that spread only later ones (no cycles), with aliases, directives,
    nesting, inline fragments and introspection fields."""
    rng = random.Random(seed)
    count = rng.randint(1, 6)

    def selections(index: int, depth: int) -> str:
        parts = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.3 and index + 1 < count:
                parts.append(f"...F{rng.randint(index + 1, count - 1)}")
            elif roll < 0.45 and depth < 4:
                parts.append(f"... on T {{ {selections(index, depth + 1)} }}")
            elif roll < 0.75 and depth < 4:
                name = rng.choice(["a", "b", "__schema"])
                alias = "x: " if rng.random() < 0.3 else ""
                parts.append(f"{alias}{name} {{ {selections(index, depth + 1)} }}")
            else:
                directive = " @include(if: true)" if rng.random() < 0.3 else ""
                parts.append(f"{'y: ' if rng.random() < 0.2 else ''}s{directive}")
        return " ".join(parts)

    body = [f"fragment F{i} on T {{ {selections(i, 0)} }}" for i in range(count)]
    return "query { " + selections(-1, 0) + " ...F0 } " + " ".join(body)


@pytest.mark.parametrize("seed", range(60))
def test_the_figures_are_those_of_every_path(seed):
    document = parse(_random_document(seed))
    fragments = {d.name.value: d for d in document.definitions[1:]}
    operation = document.definitions[0]
    assert analyse(document).operations[operation] == _walk(operation.selection_set, fragments)


@pytest.mark.serial
def test_a_twelve_level_fan_out_is_counted_without_walking_it():
    document = parse(fan_out(12))
    started = time.perf_counter()
    figures = analyse(document)
    assert time.perf_counter() - started < 0.05
    (operation,) = figures.operations.values()
    assert operation.spreads == sum(10**k for k in range(1, 13)) + 1
    assert operation.selections == operation.spreads + 10**12


def test_cycles_and_unknown_fragments_add_nothing():
    document = parse("{ ...A ...Missing } fragment A on T { a { ...B } } fragment B on T { b { ...A } }")
    (operation,) = analyse(document).operations.values()
    assert operation.spreads == 4 and operation.depth == 2


def test_introspection_fields_and_fragments_on_introspection_types_add_no_depth():
    document = parse("{ __schema { types { ...T } } } fragment T on __Type { fields { type { name } } }")
    figures = analyse(document)
    (operation,) = figures.operations.values()
    assert operation.depth == 0 and operation.introspection_depth == 4
    assert figures.fragments["T"].depth == 0


def test_same_name_pairs_are_counted_as_fields_merge():
    assert same_name_pairs(parse("{ a a a }")) == 3
    # sub-selections of same-named fields merge: 2 `a`, then 4 `b` under them
    assert same_name_pairs(parse("{ a { b b } a { b b } }")) == 1 + 6
    # a fragment spread twice in one selection set is merged once, as graphql-core does
    assert same_name_pairs(parse("{ ...F ...F } fragment F on T { x }")) == 0
    assert same_name_pairs(parse(fan_out(12))) == 0


SCHEMA = build_schema("""
type Query { me: Viewer! }
type Viewer { user: User!  shares: [Share!]! }
type User { id: ID! }
type Share { id: ID! }
""")


@pytest.mark.serial
def test_the_cost_of_a_twelve_level_fan_out_is_priced_without_walking_it():
    document = parse(fan_out(12, on="Viewer", root="me", leaf="user { id }"))
    started = time.perf_counter()
    cost = query_cost(SCHEMA, document, None, {})
    assert time.perf_counter() - started < 0.05
    assert cost == 1 + 10**12  # `me`, and `user` once for every path
