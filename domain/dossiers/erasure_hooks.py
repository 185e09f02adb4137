"""What the areas built on dossiers do when a dossier is erased (D6), inside the erasing
transaction: the shares area ends the dossier's shares under its own lock order and
re-counts its holders' free access (G2, G5).

Dossiers run the listeners around the delete and know none of them: the top of the
program (api/wiring.py) registers them, so dossiers never import the areas above. A
listener is an async context manager: what it does before the delete runs on entry (and
it yields what the audit event should say), what follows the delete on a clean exit.
Erasing before anything is registered is a wiring mistake and fails loudly."""
from __future__ import annotations

from datetime import datetime
from typing import Any, AsyncContextManager, Callable

# (connection, dossier id, now, id of the user erasing) -> context yielding audit detail
ErasureListener = Callable[[Any, int, datetime, "int | None"], AsyncContextManager[dict[str, Any]]]

_listeners: list[ErasureListener] = []
_wired = False


def listen(listener: ErasureListener) -> None:
    """Register an area's listener; registering the same function twice keeps one."""
    global _wired
    if listener not in _listeners:
        _listeners.append(listener)
    _wired = True


def listeners() -> list[ErasureListener]:
    if not _wired:
        raise RuntimeError("no area listens to dossiers being erased: call api.wiring.wire() at start")
    return list(_listeners)
