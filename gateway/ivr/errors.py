"""Voice channel errors."""


class InvalidDtmf(ValueError):
    code = "invalid_dtmf"


class UnknownCall(LookupError):
    code = "unknown_call"


class UnknownVoiceNumber(LookupError):
    code = "unknown_destination"
