"""The governance app's part of the JSON API at /api/v1/ (paths are absolute within the API)."""

from ninja import Router

from lantern.governance.retention.api import router as retention_router
from lantern.governance.subject_access.api import router as subject_access_router

router = Router()
router.add_router("", retention_router)
router.add_router("", subject_access_router)
