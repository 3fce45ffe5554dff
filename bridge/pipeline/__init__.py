"""The pipeline: notice files, claim them, parse and plan, queue in the ledger, execute, answer."""
