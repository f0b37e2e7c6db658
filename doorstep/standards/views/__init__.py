"""Pages for breaches, the penalty ledger, report-backs, policies and calendars, one module a
page, sharing what `common` holds.

Reads go through the ledger's visibility functions; writes go through ledger.appeal /
ledger.decide / checks.decide_report_back, or (policy and calendar admin) model saves inside
one transaction, so nothing is ever half-saved. Times are shown in Asia/Shanghai.
"""

from doorstep.standards.views.breaches import breaches, evidence_items
from doorstep.standards.views.calendars import calendars
from doorstep.standards.views.ledger import penalties
from doorstep.standards.views.policies import policies_page
from doorstep.standards.views.report_backs import report_backs

__all__ = ["breaches", "calendars", "evidence_items", "penalties", "policies_page", "report_backs"]
