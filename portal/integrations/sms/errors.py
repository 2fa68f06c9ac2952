"""The one error every SMS backend raises."""


class SmsError(RuntimeError):
    """The message was not accepted; the text says why (shown to the administrator)."""
