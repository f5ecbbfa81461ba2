"""The oversight app's part of the JSON API at /api/v1/ (paths are absolute within the API)."""

from ninja import Router

from lantern.oversight.complaints.api import router as complaints_router
from lantern.oversight.reviews.api import router as reviews_router

router = Router()
router.add_router("", reviews_router)
router.add_router("", complaints_router)
