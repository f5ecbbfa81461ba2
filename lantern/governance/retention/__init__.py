"""Retention by record class, review dates, legal holds and disposal."""
