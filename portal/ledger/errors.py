from flask_babel import lazy_gettext as _l

from portal.errors import DomainError
from portal.money import format_plain


class InsufficientBonus(DomainError):
    code = "insufficient_bonus"

    def __init__(self, available: int, wanted: int):
        super().__init__(_l("Not enough bonus: %(available)s available, %(wanted)s wanted.",
                            available=format_plain(available), wanted=format_plain(wanted)))
        self.available = available
        self.wanted = wanted
