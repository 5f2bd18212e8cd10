"""``python -m chainrule``: the same command line as the ``chainrule`` script."""

from chainrule.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
