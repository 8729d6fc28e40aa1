"""USSD channel errors."""


class InvalidUssdString(ValueError):
    """Dialled text that is not a USSD string (TS 22.090 §5.1.2), with the reason."""

    code = "invalid_ussd_string"
