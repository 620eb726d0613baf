"""The fewest transfers that bring every balance to zero: a deterministic greedy that pairs the
largest debtor with the largest creditor, O(n log n) with two heaps and no recursion."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Transfer(Generic[K]):
    """``amount`` minor units from ``payer`` to ``payee``."""

    payer: K
    payee: K
    amount: int


def settle(
    balances: Iterable[tuple[K, int]], order: dict[K, int] | None = None
) -> list[Transfer[K]]:
    """Transfers that settle ``balances`` (positive: is owed; negative: owes), which must sum to 0.

    Ties between equal amounts are broken by ``order`` (default: the order given), so the same
    balances always give the same transfers. Each transfer settles at least one party completely,
    so there are at most n - 1 of them.
    """
    items = [(key, amount) for key, amount in balances if amount != 0]
    if sum(amount for _, amount in items) != 0:
        raise ValueError("balances must sum to zero")
    rank = order if order is not None else {key: index for index, (key, _) in enumerate(items)}
    creditors = [(-amount, rank[key], key) for key, amount in items if amount > 0]
    debtors = [(amount, rank[key], key) for key, amount in items if amount < 0]
    heapq.heapify(creditors)
    heapq.heapify(debtors)
    transfers: list[Transfer[K]] = []
    while creditors and debtors:
        owed, credit_rank, creditor = heapq.heappop(creditors)
        owing, debt_rank, debtor = heapq.heappop(debtors)
        amount = min(-owed, -owing)
        transfers.append(Transfer(debtor, creditor, amount))
        if -owed > amount:
            heapq.heappush(creditors, (owed + amount, credit_rank, creditor))
        if -owing > amount:
            heapq.heappush(debtors, (owing + amount, debt_rank, debtor))
    return transfers
