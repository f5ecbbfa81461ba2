"""The oversight app's part of the JSON API at /api/v1/ (paths are absolute within the API)."""

from ninja import Router

router = Router()
