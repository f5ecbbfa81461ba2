"""The intel app's importers, one module per area (`lantern import` discovers this module)."""

from lantern.intel.items.importers import IMPORTERS

__all__ = ["IMPORTERS"]
