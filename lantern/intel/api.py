"""The intel app's part of the JSON API at /api/v1/ (paths are absolute within the API)."""

from ninja import Router

from lantern.intel.items.api import router as items_router
from lantern.intel.linking.api import router as linking_router
from lantern.intel.network.api import router as network_router

router = Router()
router.add_router("", items_router)
router.add_router("", linking_router)
router.add_router("", network_router)
