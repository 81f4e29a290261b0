"""The seed's src/services/analytics_service.py, rebuilt on Spool: each track_* is one append to the local outbox.

An append commits to a local SQLite file in tens of microseconds and never touches the network; `spoolctl run`,
beside this service, uploads to BigQuery, retries, and keeps what BigQuery refuses in dead_letters. The rows keep
the seed's shape (categories as a JSON text, integers as int, UTC timestamps).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any, Dict

import spool

logger = logging.getLogger("leafloaf.analytics")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class AnalyticsService:
    def __init__(self, events: spool.Spool) -> None:
        self.events = events

    def _record(self, table: str, row: Dict[str, Any]) -> None:
        # Analytics never fails a request: a refused event (a full spool, a full disk) is logged without its values.
        try:
            self.events.append(table, row)
        except spool.SpoolError as error:
            logger.warning("analytics event not recorded: %s: %s", table, error)

    def track_search_event(self, event_data: Dict[str, Any]) -> None:
        self._record("user_search_events", {
            "event_id": str(uuid.uuid4()),
            "user_id": event_data.get("user_id", "anonymous"),
            "session_id": event_data.get("session_id", ""),
            "query": event_data.get("query", ""),
            "intent": event_data.get("intent", ""),
            "alpha_value": float(event_data.get("alpha", 0.5)),
            "results_count": int(event_data.get("results_count", 0)),
            "categories": json.dumps(event_data.get("categories", [])),  # a JSON text, as in the seed's table
            "response_time_ms": int(event_data.get("response_time_ms", 0)),
            "timestamp": _now(),
        })

    def track_interaction_event(self, event_data: Dict[str, Any]) -> None:
        self._record("product_interaction_events", {
            "event_id": str(uuid.uuid4()),
            "user_id": event_data.get("user_id", "anonymous"),
            "session_id": event_data.get("session_id", ""),
            "signal_type": event_data.get("signal_type", "click"),
            "product_sku": event_data["sku"],
            "product_name": event_data.get("product_name"),
            "product_category": event_data.get("category"),
            "position": event_data.get("position"),
            "signal_weight": float(event_data.get("signal_weight", 1.0)),
            "search_query": event_data.get("search_query"),
            "timestamp": _now(),
        })

    def track_cart_event(self, event_data: Dict[str, Any]) -> None:
        self._record("cart_modification_events", {
            "event_id": str(uuid.uuid4()),
            "user_id": event_data.get("user_id", "anonymous"),
            "session_id": event_data.get("session_id", ""),
            "action": event_data["action"],
            "product_sku": event_data["sku"],
            "product_name": event_data.get("product_name"),
            "quantity": int(event_data.get("quantity", 1)),
            "price": event_data.get("price"),
            "cart_total": event_data.get("cart_total"),
            "timestamp": _now(),
        })

    def track_order_event(self, event_data: Dict[str, Any]) -> None:
        self._record("order_transaction_events", {
            "event_id": str(uuid.uuid4()),
            "user_id": event_data.get("user_id", "anonymous"),
            "session_id": event_data.get("session_id", ""),
            "order_id": event_data["order_id"],
            "status": event_data.get("status", "completed"),
            "total": event_data.get("total"),
            "currency": event_data.get("currency", "USD"),
            "items": event_data.get("items", []),
            "discounts": event_data.get("discounts", []),
            "delivery": event_data.get("delivery"),
            "timestamp": _now(),
        })
