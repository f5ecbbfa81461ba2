"""API: scale and trend, hotspots, charts and the transparency report."""

from ninja import Router

router = Router()
