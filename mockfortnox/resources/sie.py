"""`GET /3/sie/{type}`: the company's books as a SIE file (bytes, CP437), as Fortnox exports them.

`financialyear` (an id; Fortnox's spec spells it `financialYear`) or `financialyeardate` picks
the year, else the current one; `fromdate`/`todate` narrow the vouchers. The file is built by
`mockfortnox.sie_export` and written by the bridge's SIE writer in its Fortnox style.
"""

from __future__ import annotations

from flask import Blueprint, Response, g

from bridge import sie
from mockfortnox.errors import ApiError
from mockfortnox.resources.bookkeeping import resolve_year
from mockfortnox.resources.common import lower_args, today
from mockfortnox.sie_export import sie_export

bp = Blueprint("sie", __name__)
bp.scope = "bookkeeping"


@bp.get("/3/sie/<sie_type>", strict_slashes=False)
def export_sie(sie_type: str):
    if sie_type not in ("1", "2", "3", "4"):
        raise ApiError("invalid_parameter")
    args = lower_args()
    year = resolve_year(g.tenant, args)
    document = sie_export(g.tenant, year, int(sie_type), today(), args.get("fromdate"), args.get("todate"))
    return Response(sie.to_bytes(document, style=sie.FORTNOX), mimetype="application/octet-stream")
