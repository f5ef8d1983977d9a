"""``python -m helpers.build.launch -f CONNECTION_FILE``: start a report kernel the ordinary way.

What ``ipykernel_launcher`` does (the report's folder is not an import path; the kernel app is
launched), after marking :data:`~helpers.build.kernels.KERNEL_BLOCKED_MODULES` as absent so that
report kernels never import them. Used when kernels are not forked from the zygote
(``--no-preload``, or the zygote refused).
"""

from __future__ import annotations

import os
import sys

from helpers.build.kernels import KERNEL_BLOCKED_MODULES


def main() -> None:
    """Launch an IPython kernel with this process's arguments."""
    sys.modules.update(dict.fromkeys(KERNEL_BLOCKED_MODULES))
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    main()
