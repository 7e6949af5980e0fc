"""Model evaluation: generate on real songs and measure with :mod:`dancegen.metrics`."""
