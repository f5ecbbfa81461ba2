"""Models: independent reviews, allegations, case audits and review reports."""
