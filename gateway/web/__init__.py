"""The web phone: its static page, the live-events WebSocket and the texts it shows."""
