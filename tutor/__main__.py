try:
    from tutor.cli import entry
except KeyboardInterrupt:  # Ctrl-C while Python was still importing: nothing was done yet
    import os
    import sys

    if sys.stderr is not None:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    os._exit(130)

entry()
