"""A simulated board that speaks the firmware protocol over a real pseudo-terminal."""
