"""gunicorn's settings for Dossier's web server (``gunicorn -c gunicorn.conf.py dossier.wsgi``).

gunicorn also reads this file by itself when started from the project's root.
Its command-line options (bind, workers, threads) still apply on top.
"""

import os

# Every process gunicorn starts serves web requests: their SQL statements get
# the web timeout (dossier/settings.py, WEB_STATEMENT_TIMEOUT), whatever the
# environment it was started from says.
os.environ["DOSSIER_PROCESS"] = "web"

# A worker silent for longer than this is killed and replaced. Longer than the
# web statement timeout, so a slow query is cut off (and answered) by
# PostgreSQL first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
