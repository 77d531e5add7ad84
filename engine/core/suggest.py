"""The nearest known name to a mistyped one, for messages that teach (pure).

``did_you_mean('ofice', roles)`` is ``": did you mean 'office'?"``, or ``""`` when nothing
is near: difflib's ratio first (a slip of a letter or two), then the one whose initials it is
(``hoy``: ``head_of_year``), then the one known name starting with or holding the one
written (``days`` for ``school_days``), so an author sees the fix, not only the fault.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was most likely meant to be, if any is close."""
    names = sorted({k for k in known if k and k != name})
    if not name or not names:
        return None
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    lower = name.lower()
    initials = [k for k in names if "".join(p[:1] for p in k.split("_")) == lower]
    if len(lower) >= 2 and len(initials) == 1:  # hoy: head_of_year
        return initials[0]
    if len(lower) >= 3:
        for holding in ([k for k in names if k.lower().startswith(lower)],
                        [k for k in names if lower in k.lower()]):
            if len(holding) == 1:
                return holding[0]
    return None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``": did you mean 'x'?"`` for the nearest known name, or ``""``."""
    near = nearest(name, known)
    return f": did you mean '{near}'?" if near else ""


def listed(known: Iterable[str], limit: int = 20) -> str:
    """The known names, comma-separated, cut short past ``limit``."""
    names = sorted(set(known))
    if len(names) > limit:
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)
