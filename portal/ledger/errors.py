from flask_babel import lazy_gettext as _l

from ..services.errors import DomainError


class InsufficientBonus(DomainError):
    code = "insufficient_bonus"

    def __init__(self, available: int, wanted: int):
        super().__init__(_l("Not enough bonus: %(available)s available, %(wanted)s wanted.",
                            available=f"{available / 100:.2f}", wanted=f"{wanted / 100:.2f}"))
        self.available = available
        self.wanted = wanted
