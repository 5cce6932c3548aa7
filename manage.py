#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # Writing or checking migrations reads only the models: a bare checkout
        # may run it without production secrets. Every other command, the web
        # server and the workers still refuse to start without them.
        os.environ.setdefault("DEBUG", "1")
    # Commands (migrations, exports, audit verify, the simulator) take the
    # workers' statement timeout; the development server serves web requests.
    os.environ.setdefault("DOSSIER_PROCESS", "web" if sys.argv[1:2] == ["runserver"] else "worker")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
