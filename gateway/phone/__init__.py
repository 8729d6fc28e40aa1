"""The emulated handset in a terminal: `gateway phone MSISDN`."""
