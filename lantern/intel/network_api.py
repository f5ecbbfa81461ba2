"""API: networks, entity pages, search, exports, contextual safeguarding, cross-agency signal."""

from ninja import Router

router = Router()
