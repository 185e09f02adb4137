"""schemathesis hooks for `python -m bench.fuzz` (loaded via SCHEMATHESIS_HOOKS).

* strategies for the custom scalars schemathesis does not know (Decimal);
* `casebook_no_server_error`: the check that replaces schemathesis' `not_a_server_error`,
  which counts every GraphQL error with a `path` as a server error — here FORBIDDEN,
  NOT_FOUND, INVALID_INPUT… are expected answers to random input. A failure is a 5xx, a
  masked internal error (INTERNAL_SERVER_ERROR), or a resolver error without a code
  (every deliberate error carries one; api/extensions.py masks the rest)."""
from __future__ import annotations

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9)
              .map(str), st.text(max_size=12)).map(nodes.String))


@schemathesis.check
def casebook_no_server_error(ctx, response, case):  # noqa: ANN001, ANN201 - schemathesis' signature
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    if response.status_code != 200:
        return None  # 400/413/415: refused before execution, by design
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR":
            raise AssertionError(f"masked internal error at {error.get('path')} "
                                 f"(requestId {(body.get('extensions') or {}).get('requestId')})")
        if "path" in error and not code:
            raise AssertionError(f"resolver error without an expected code: {error}")
    return None
