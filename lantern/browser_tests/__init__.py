"""Browser tests: Lantern's pages in Debian's Chromium, driven by Playwright and checked with axe-core."""
