#!/usr/bin/env python
"""Django's command-line utility; `lantern` is the same thing installed as a console script."""

from lantern.cli import main

if __name__ == "__main__":
    main()
