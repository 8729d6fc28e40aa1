"""The channels (USSD, SMS, voice), the HTTP API, the composition root and the CLI."""
