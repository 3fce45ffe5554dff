"""The pipeline: notice files, claim them, parse and plan, queue in the ledger, execute, answer.

`Bridge` (service.py) is the entrance; what it answers are the records of records.py.
"""

from bridge.pipeline.records import (
    DocumentRecord,
    DocumentState,
    FileRecord,
    FileState,
    Notice,
    StepRecord,
    StepState,
    TenantHealth,
)
from bridge.pipeline.service import Bridge, RequestError

__all__ = [
    "Bridge",
    "DocumentRecord",
    "DocumentState",
    "FileRecord",
    "FileState",
    "Notice",
    "RequestError",
    "StepRecord",
    "StepState",
    "TenantHealth",
]
