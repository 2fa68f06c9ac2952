"""How an order's money is split: discounts, bonus, money paid and accrual per line.

A pure function of plain values, so the till's cart, the manager's order form and the sales
service all compute exactly the same figures. For every line:
`price * qty - discount = bonus + paid`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN

from portal.money import allocate, percent_of


@dataclass(frozen=True)
class PricedLine:
    price: int
    qty: int
    discount: int
    bonus: int
    paid: int
    accrual: int
    discount_bp: int = 0

    @property
    def gross(self) -> int:
        return self.price * self.qty

    @property
    def net(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True)
class Pricing:
    lines: list[PricedLine]
    redeem_cap: int  # the most bonus this order may take

    @property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        """After discounts, before bonus."""
        return self.subtotal - self.discount

    @property
    def bonus(self) -> int:
        return sum(line.bonus for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(line.paid for line in self.lines)

    @property
    def accrual(self) -> int:
        return sum(line.accrual for line in self.lines)


def redeem_cap(total_after_discounts: int, max_redeem_share_bp: int) -> int:
    """The programme's share of the order, rounded down to the minor unit."""
    return percent_of(total_after_discounts, max_redeem_share_bp, rounding=ROUND_DOWN)


def price_lines(lines: list[tuple[int, int, bool]], *, discount_bp: int | list[int], bonus: int,
                max_redeem_share_bp: int, accrual_rate_bp: int, accrues: bool = True) -> Pricing:
    """`lines` are (unit price, qty, discountable). `bonus` must be within the cap (checked by the caller).

    - discount: the client's % (or, given a list, each line's own %) of each discountable line, half-up;
    - bonus: allocated over the lines in proportion to their totals after discount (largest remainder);
    - accrual: the rate of all money paid, rounded down, allocated over the lines in proportion
      to the money paid on each (largest remainder). No client, no accrual.
    """
    rates = discount_bp if isinstance(discount_bp, list) else [discount_bp] * len(lines)
    discounts = [percent_of(price * qty, rate) if discountable else 0
                 for (price, qty, discountable), rate in zip(lines, rates)]
    nets = [price * qty - d for (price, qty, _), d in zip(lines, discounts)]
    cap = redeem_cap(sum(nets), max_redeem_share_bp)
    bonuses = allocate(bonus, nets) if bonus else [0] * len(lines)
    paids = [n - b for n, b in zip(nets, bonuses)]
    accruals = accruals_for(paids, accrual_rate_bp) if accrues else [0] * len(lines)
    priced = [PricedLine(price, qty, d, b, p, a, rate if discountable else 0)
              for (price, qty, discountable), d, b, p, a, rate in zip(lines, discounts, bonuses, paids, accruals, rates)]
    return Pricing(priced, cap)


def price_with_bonus(lines: list[tuple[int, int, bool]], *, discount_bp: int | list[int],
                     bonus: Callable[[Pricing], int], max_redeem_share_bp: int, accrual_rate_bp: int,
                     accrues: bool = True) -> Pricing:
    """Price `lines` without bonus first; `bonus(that pricing)` chooses the bonus to spend knowing the
    most the order may take (its `redeem_cap`), or refuses by raising; then, when it chose any, price
    them again with it. The one way the till, the manager's order and a sale price an order."""
    terms = {"discount_bp": discount_bp, "max_redeem_share_bp": max_redeem_share_bp,
             "accrual_rate_bp": accrual_rate_bp, "accrues": accrues}
    without = price_lines(lines, bonus=0, **terms)
    chosen = bonus(without)
    return price_lines(lines, bonus=chosen, **terms) if chosen else without


def accruals_for(paids: list[int], accrual_rate_bp: int) -> list[int]:
    """The accrual of each line: the rate of all money paid, rounded down, allocated in
    proportion to the money paid on each line (largest remainder)."""
    total = percent_of(sum(paids), accrual_rate_bp, rounding=ROUND_DOWN)
    return allocate(total, paids) if total else [0] * len(paids)


def share(amount: int, part_qty: int, qty: int) -> int:
    """The part of a line's `amount` that belongs to `part_qty` of its `qty` units, rounded down.

    Returns compute what a return gives back as share(after) - share(before), so any sequence
    of partial returns adds up to the whole amount exactly, and no step is negative.
    """
    return amount * part_qty // qty
