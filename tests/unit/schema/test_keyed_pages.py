"""A keyed connection's page info (schema/relay.py `KeyedPageInfo`) encodes its cursors
only when asked, and answers exactly what `relay_page_info` answers for the same page."""
from __future__ import annotations

from hypothesis import given, strategies as st

from domain.core.ids import b64url
from domain.core.paging import Slice
from schema.relay import KeyedPageInfo, encode_cursor, relay_page_info

keys = st.lists(st.integers(min_value=1, max_value=2**63 - 1), max_size=5)
slices = st.builds(Slice, size=st.integers(1, 100), after=st.none() | st.integers(1, 10**6),
                   before=st.none() | st.integers(1, 10**6), from_end=st.booleans())


@given(page=slices, more=st.booleans(), page_keys=keys)
def test_keyed_page_info_answers_as_the_eager_one(page, more, page_keys):
    cursors = [encode_cursor(key) for key in page_keys]
    eager = relay_page_info(page, more, cursors[0] if cursors else None, cursors[-1] if cursors else None)
    lazy = KeyedPageInfo(page, more, page_keys)
    assert (lazy.has_next_page, lazy.has_previous_page, lazy.start_cursor, lazy.end_cursor) == (
        eager.has_next_page, eager.has_previous_page, eager.start_cursor, eager.end_cursor)


@given(st.text(max_size=60))
def test_b64url_is_base64url_without_padding(text):
    import base64

    assert b64url(text) == base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_cursors_of_several_parts_keep_their_spelling():
    assert encode_cursor(7, "2026-01-01T00:00:00+00:00") == b64url("c1|7|2026-01-01T00:00:00+00:00")
    assert encode_cursor(7) == b64url("c1|7")


@given(page=slices, more=st.booleans(), page_keys=keys)
def test_a_keyed_connection_answers_as_one_built_with_its_cursors(page, more, page_keys):
    from schema.relay import Connection

    nodes = [f"node {key}" for key in page_keys]
    eager = Connection.of(nodes, [encode_cursor(key) for key in page_keys], page, more, None)
    lazy = Connection.keyed(nodes, page_keys, page, more, None)
    assert [(edge.node, edge.cursor) for edge in lazy.edges] == [(edge.node, edge.cursor) for edge in eager.edges]
    assert [edge.key for edge in lazy.edges] == page_keys
    assert lazy.nodes == eager.nodes
