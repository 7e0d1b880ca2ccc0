"""Stores: where sessions, runs and frontend records live."""

from .base import FINAL_STATUSES, RunRecord, RunStatus, Store

__all__ = ["FINAL_STATUSES", "RunRecord", "RunStatus", "Store"]
