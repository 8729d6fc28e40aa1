"""The HTTP side: the handset JSON API under /api/v1 and /healthz."""
