"""The voice channel: calls to the 0505 menu driven by keypad tones."""
