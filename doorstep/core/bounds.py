"""Numbers a request may name, bounded where the database would otherwise fail on them.

A number out of these bounds names nothing, and passed on it fails in the database driver
(SQLite's OverflowError or "datatype mismatch", PostgreSQL's "out of range") as a 500: bounded
here, it is a 422 that names the field, like any other bad input.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# The id columns are 64-bit.
MAX_ROW_ID = 2**63 - 1
# A page far past the last still answers an empty page; the offset it makes must stay a number
# the database takes (page × page size under 2**63 for any page size).
MAX_PAGE = 1_000_000

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
