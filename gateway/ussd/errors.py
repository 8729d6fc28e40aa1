"""USSD channel errors; each channel's edge maps them to its wire form."""


class InvalidUssdString(ValueError):
    """Dialled text that is not a USSD string (TS 22.090 §5.1.2), with the reason."""

    code = "invalid_ussd_string"


class NoDialogue(InvalidUssdString):
    """A reply, but the handset has no open dialogue (never opened, ended or timed out)."""


class UssdBusy(Exception):
    """The handset is in another USSD transaction (TS 24.090 "USSD-Busy"), or its last
    input still awaits the network's answer."""

    code = "ussd_busy"


class ScreenTooLong(ValueError):
    """A screen over one USSD string: 182 GSM 7-bit septets or 80 UCS-2 characters."""

    code = "ussd_too_long"


class UnknownDialogue(LookupError):
    code = "unknown_dialogue"


class AppFailed(Exception):
    """An external USSD application did not give a usable answer; the reason is for the log."""
