"""The import of accepted alerts into cases (docs/alert-import.md).

``import_batch_now`` claims and imports one batch; ``sweep`` re-enqueues
batches whose message was lost or whose worker died; ``retry_failed`` puts a
batch's failed alerts back in line.
"""

from ingestion.importing.operations import retry_failed, sweep
from ingestion.importing.run import Outcome, TransientImportError, import_batch_now

__all__ = ["Outcome", "TransientImportError", "import_batch_now", "retry_failed", "sweep"]
