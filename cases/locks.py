"""Transaction-scoped advisory lock keys that more than one app takes."""

# The intake lock ("import" in ASCII): held by the import while it decides
# which case each alert goes to (ingestion.importing), and by a merge, which
# moves the keys and accounts those decisions read (cases.workflow.merge).
INTAKE_LOCK_KEY = 0x696D706F7274
