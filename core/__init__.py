"""The self-service domain: subscribers, credentials, messages and money; no Twisted, no wire codes."""
