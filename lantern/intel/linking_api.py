"""API: resolution: batch (splink) and real-time matching, analyst decisions, link alerts."""

from ninja import Router

router = Router()
