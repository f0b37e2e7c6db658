"""Supervision inspections (稽核 / 巡视监督): an inspector's spot check of a visit or a
technician, scored from a checklist, planned by random sampling (docs/inspections.md)."""
