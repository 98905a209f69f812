"""Per-request overhead: every variant through its callable, interleaved and shuffled."""

from __future__ import annotations

from dataclasses import dataclass, field

from .harness import Target, Timed, call_wsgi, interleave, serve
from .variants import VARIANTS, Unavailable, Variant


@dataclass
class PerRequestResult:
    timed: dict[str, Timed]
    variants: list[Variant]
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)


# Exceptions that mean "this part of the library has not landed yet", not "it is broken".
_NOT_LANDED = (NotImplementedError, AttributeError, TypeError)


def _signals_loaded() -> bool:
    """Whether the library's signals module is loaded in this process (the bridge rows
    load Flask's, which loads it): then an app checks its switch before each signal,
    and turns on the signal path only while a receiver would be called for it."""
    import sys

    return "fastapi_flaskcompat.signals" in sys.modules


async def prepare(variant: Variant) -> Target:
    """Build the variant and send one request; turn missing features into Unavailable."""
    not_landed = _NOT_LANDED if variant.optional else ()
    try:
        target = variant.build()
    except not_landed as exc:
        raise Unavailable(f"not available: {type(exc).__name__}: {exc}") from exc
    req = variant.requests(1)[0]
    try:
        with target.during():
            if target.wsgi is not None:
                resp = call_wsgi(target.wsgi, req)
            else:
                assert target.asgi is not None
                resp = await serve(target.asgi, req)
    except not_landed as exc:
        raise Unavailable(f"not available: {type(exc).__name__}: {exc}") from exc
    except RuntimeError as exc:
        # Without the bridge, flask.g raises Flask's "Working outside of ..." error.
        if variant.optional and "outside" in str(exc).lower():
            raise Unavailable(f"not available: Flask bridge not active: {exc}") from exc
        raise
    problem = variant.check(req, resp)
    if problem is not None:
        raise AssertionError(
            f"{variant.name}: {problem} (status {resp.status}, body {resp.body[:200]!r})"
        )
    return target


async def run(
    *, rounds: int, slice_size: int, warmup: int, concurrency: int, only: set[str] | None = None
) -> PerRequestResult:
    targets = {}
    skipped: dict[str, str] = {}
    chosen = [v for v in VARIANTS if only is None or v.name in only]
    used: list[Variant] = []
    for v in chosen:
        try:
            target = await prepare(v)
        except Unavailable as exc:
            skipped[v.name] = str(exc)
            continue
        targets[v.name] = (target, v.requests(max(slice_size, warmup)), v.check)
        used.append(v)
    # A ratio needs its baseline in the same rounds.
    for v in list(used):
        if v.baseline not in targets:
            skipped[v.name] = f"not available: its baseline {v.baseline!r} did not run"
            del targets[v.name]
            used.remove(v)
    timed = await interleave(
        targets,
        rounds=rounds,
        slice_size=slice_size,
        warmup=warmup,
        concurrency=concurrency,
        baseline_of={v.name: v.baseline for v in used},
    )
    settings = {
        "signals_loaded": int(_signals_loaded()),
        "rounds": rounds,
        "slice_size": slice_size,
        "warmup": warmup,
        "concurrency": concurrency,
    }
    return PerRequestResult(timed, used, skipped, settings)
