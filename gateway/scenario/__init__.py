"""Scripted handset sessions: the YAML format, its runner and `gateway scenario run`."""
