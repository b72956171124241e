"""Running map-reduce passes over the blocks with a distributed client or dask's default scheduler.

A pass maps one kernel over every block with the parameters sent once to each worker (scattered
with ``broadcast=True``), then adds the per-block statistics in a tree of ``split_every``-way
sums on the workers: only the final sum (worker-sized arrays) reaches the client.
"""

from __future__ import annotations

from typing import Callable

import dask

__all__ = ["current_client", "map_reduce", "PassFailed"]

SPLIT_EVERY = 8


class PassFailed(RuntimeError):
    """A pass over the answers could not finish (for example, a worker died too often)."""


def current_client():
    """The active ``distributed.Client``, or None when dask's default scheduler runs the graph."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is part of the extra
        return None
    try:
        return default_client()
    except ValueError:
        return None


def pass_failed(error: BaseException, what: str) -> PassFailed:
    return PassFailed(
        f"{what} failed on the dask cluster ({type(error).__name__}: {error}); no result was "
        "stored. A worker that died or ran out of memory is the usual cause: give the workers "
        "more memory or the answers more partitions, then fit again."
    )


def map_reduce(blocks: list, kernel: Callable, params: dict, combine: Callable,
               what: str = "an EM pass"):
    """``combine(*[kernel(b, params) for b in blocks])`` computed as a tree on the cluster."""
    client = current_client()
    try:
        if client is not None:
            [shared] = client.scatter([params], broadcast=True, hash=False)
            parts = [client.submit(kernel, b, shared, pure=False) for b in blocks]
            while len(parts) > 1:
                parts = [client.submit(combine, *parts[i:i + SPLIT_EVERY], pure=False)
                         for i in range(0, len(parts), SPLIT_EVERY)]
            return parts[0].result()
        shared = dask.delayed(params, traverse=False)
        parts = [dask.delayed(kernel, pure=False)(b, shared) for b in blocks]
        while len(parts) > 1:
            parts = [dask.delayed(combine, pure=False)(*parts[i:i + SPLIT_EVERY])
                     for i in range(0, len(parts), SPLIT_EVERY)]
        return dask.compute(parts[0])[0]
    except (ValueError, TypeError):
        raise  # the user's data: the message from encode_block says what is wrong
    except Exception as error:  # noqa: BLE001 - every other failure becomes one clear error
        raise pass_failed(error, what) from error
