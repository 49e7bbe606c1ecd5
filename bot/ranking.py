"""The running top of a search: the best candidate met for each offer, and the `limit` best."""

from __future__ import annotations

from math import inf

# A ranked candidate: (score, offer index, distance in km or None if remote, commune, start)
Cand = tuple[float, int, float | None, str | None, int]


class Top:
    """The best candidates seen so far, one per offer, and the `limit` best of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_offer: dict[int, Cand] = {}
        self.on_site = 0
        self._top: list[Cand] = []  # by (score, -offer), best first
        # the last of the top: a candidate must beat (score, -offer) to enter
        self.worst_score = -inf
        self.worst_offer = -1

    def add(self, cand: Cand) -> None:
        old = self.by_offer.get(cand[1])
        if old is not None and cand[0] <= old[0]:
            return
        if cand[2] is not None and (old is None or old[2] is None):
            self.on_site += 1
        self.by_offer[cand[1]] = cand
        top = self._top
        if old is not None and old in top:
            top.remove(old)
        elif len(top) >= self.limit and (cand[0], -cand[1]) < (self.worst_score, -self.worst_offer):
            return
        at = len(top)  # by (score, -offer), best first: at most `limit` steps
        while at and (top[at - 1][0], -top[at - 1][1]) < (cand[0], -cand[1]):
            at -= 1
        top.insert(at, cand)
        del top[self.limit :]
        if len(top) >= self.limit:
            self.worst_score, self.worst_offer = top[-1][0], top[-1][1]

    def beaten(self, bound: float, offer: int) -> bool:
        """Can no candidate of `offer` scoring at most `bound` enter the top?"""
        return bound < self.worst_score or (bound == self.worst_score and offer > self.worst_offer)

    def floor(self) -> float:
        """The `limit`-th best score, or -inf while there are fewer candidates."""
        return self.worst_score

    def full(self) -> bool:
        """Does the top hold `limit` candidates?"""
        return len(self._top) >= self.limit

    def top(self) -> list[Cand]:
        return list(self._top)
