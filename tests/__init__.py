"""Tests: pure cores, Twisted adapters, and the real gateway end to end."""
