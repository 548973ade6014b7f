"""Device layer: wire protocol codec, serial transport and the simulated board."""
