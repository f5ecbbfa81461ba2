"""API: complaints and conduct matters."""

from ninja import Router

router = Router()
