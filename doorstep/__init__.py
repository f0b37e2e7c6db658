"""Doorstep (上门): work orders for install-and-repair field crews."""

__version__ = "0.1.0"
