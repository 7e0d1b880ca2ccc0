"""Stores: where sessions, runs and frontend records live."""

from .base import FINAL_STATUSES, RunRecord, RunStatus, Store, owned_namespace

__all__ = ["FINAL_STATUSES", "RunRecord", "RunStatus", "Store", "owned_namespace"]
