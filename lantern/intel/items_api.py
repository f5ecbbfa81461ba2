"""API: intelligence items: submission, grading, sources, disclosure, import."""

from ninja import Router

router = Router()
