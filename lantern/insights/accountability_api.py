"""API: the accountability dashboard and data quality."""

from ninja import Router

router = Router()
