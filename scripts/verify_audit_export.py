#!/usr/bin/env python3
"""Check a Dossier audit export or enforcement ledger offline: no Django, no
settings, no database.

    python scripts/verify_audit_export.py --file audit-export-42.jsonl \\
        --public-key "$(curl -s https://dossier.example.org/api/v1/audit/public-key | jq -r .public_key)"

Needs Python 3.11+ and ``cryptography``, and this checkout's ``audit/chain.py``,
``audit/exportformats.py``, ``audit/exportfile.py`` and ``audit/signing.py``
(none imports Django). Exit status 0 when the
export verifies, 1 when it does not (the message names the row), 2 when the
file or key cannot be read. docs/audit-exports.md explains what is checked,
for an export and for the ledger (``enforcement-ledger-42.csv`` the same way).
"""

import sys
from pathlib import Path

# The checkout's root, so ``audit.exportfile`` imports without Django: the
# ``audit`` package's ``__init__`` is empty.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.exportfile import main

if __name__ == "__main__":
    sys.exit(main())
