"""API: independent reviews, allegations, case audits and review reports."""

from ninja import Router

router = Router()
