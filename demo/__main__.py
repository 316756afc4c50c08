"""`python -m demo` (what `make run` runs): demo.platform, with Ctrl-C quiet even while it imports."""

import sys

try:
    from demo.platform import main
except KeyboardInterrupt:
    sys.exit(130)

main()
