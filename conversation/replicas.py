"""Which Rasa replica takes a conversation: every turn of one conversation goes to the same one.

Rendezvous (highest random weight) hashing of the conversation id against each replica's URL:
- stable across processes and restarts (a keyed blake2b digest, not Python's salted `hash`), so
  every gateway sends a conversation to the same replica without talking to the others;
- a conversation's turns never run on two replicas at once, so each replica's in-memory lock
  store is enough (no Redis lock store needed for replicas on one machine);
- adding or removing a replica moves only the conversations that belonged to it (about 1/N);
- the full order is a failover list: when a conversation's replica is gone (connection refused
  or dropped without an answer), the next one in *its* order takes it (all replicas of one
  machine share the tracker store, so the dialogue goes on where it was).
"""

import hashlib
import itertools
from collections.abc import Sequence


def _weight(replica: str, key: str) -> int:
    digest = hashlib.blake2b(f"{replica}\n{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class ReplicaPins:
    """The replicas (base URLs, each listed once) and the order in which a key tries them."""

    def __init__(self, replicas: Sequence[str]) -> None:
        unique = list(dict.fromkeys(r.rstrip("/") for r in replicas))
        if not unique:
            raise ValueError("at least one Rasa replica is needed")
        self.replicas: tuple[str, ...] = tuple(unique)
        self._turns = itertools.count()

    def __len__(self) -> int:
        return len(self.replicas)

    def order(self, key: str) -> list[str]:
        """The replicas for this conversation id, its own first, then its failover order."""
        if len(self.replicas) == 1:
            return list(self.replicas)
        return sorted(self.replicas, key=lambda r: _weight(r, key), reverse=True)

    def pinned(self, key: str) -> str:
        return self.order(key)[0]

    def spread(self) -> list[str]:
        """All replicas, starting with the next in turn: for requests of no conversation (parse)."""
        start = next(self._turns) % len(self.replicas)
        return [*self.replicas[start:], *self.replicas[:start]]
