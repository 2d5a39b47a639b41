"""civicgrid — 一网统管 grassroots governance platform."""

__version__ = "0.1.0"
