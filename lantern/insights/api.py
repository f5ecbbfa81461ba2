"""The insights app's part of the JSON API at /api/v1/ (paths are absolute within the API)."""

from ninja import Router

from lantern.insights.accountability.api import router as accountability_router
from lantern.insights.resourcing.api import router as resourcing_router
from lantern.insights.statistics.api import router as statistics_router

router = Router()
router.add_router("", accountability_router)
router.add_router("", resourcing_router)
router.add_router("", statistics_router)
