"""The seed's API rebuilt on Spool, in Python: FastAPI, personalization in memory, analytics through the spool.

    SPOOL_CONFIG=examples/leafloaf-python/spool.json uvicorn app:app --app-dir examples/leafloaf-python
    spoolctl run --config examples/leafloaf-python/spool.json        # the uploader, beside it

Personalization and carts live in this process's memory and never wait on the spool or BigQuery.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager
from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

import spool
from analytics_service import AnalyticsService

CATALOG = [
    {"sku": sku, "name": name, "category": category, "price": price}
    for sku, name, category, price in [
        ("OAT-001", "Organic oat milk", "dairy_alternatives", 3.49),
        ("ALM-002", "Unsweetened almond milk", "dairy_alternatives", 2.99),
        ("MLK-003", "Whole milk", "dairy", 1.89),
        ("YOG-004", "Greek yogurt", "dairy", 4.25),
        ("BAN-005", "Bananas, bunch", "produce", 1.29),
        ("APL-006", "Honeycrisp apples", "produce", 4.99),
        ("SPN-007", "Baby spinach", "produce", 3.19),
        ("BRD-008", "Sourdough bread", "bakery", 5.49),
        ("EGG-010", "Free-range eggs, dozen", "eggs", 4.79),
        ("TOF-011", "Firm tofu", "plant_protein", 2.49),
        ("PAS-012", "Whole wheat pasta", "pantry", 1.99),
        ("COF-014", "Dark roast coffee beans", "beverages", 11.99),
    ]
]
BY_SKU = {product["sku"]: product for product in CATALOG}
SIGNAL_WEIGHTS = {"purchase": 5.0, "add_to_cart": 3.0, "click": 1.0, "view": 0.5}


def search_catalog(query: str) -> List[dict]:
    words = [word for word in query.lower().split() if len(word) > 1]
    if not words:
        return list(CATALOG)
    return [p for p in CATALOG if any(w in (p["name"] + " " + p["category"].replace("_", " ")).lower() for w in words)]


class Personalization:
    """Affinity per user and category, in memory: sub-millisecond updates, no dependency on analytics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scores: Dict[str, Dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def record(self, user: str, category: str, weight: float) -> None:
        with self._lock:
            self._scores[user][category] += weight

    def preferences(self, user: str) -> Dict[str, float]:
        with self._lock:
            return dict(self._scores.get(user, {}))

    def rank(self, products: List[dict], user: str):
        affinity = self.preferences(user)
        if not affinity:
            return products, False
        return sorted(products, key=lambda p: -affinity.get(p["category"], 0.0)), True


class SearchRequest(BaseModel):
    user_id: Optional[str] = None
    session_id: Optional[str] = None
    query: str


class InteractionRequest(BaseModel):
    user_id: Optional[str] = None
    session_id: Optional[str] = None
    signal_type: str
    sku: str
    position: Optional[int] = None
    search_query: Optional[str] = None


class CartRequest(BaseModel):
    user_id: Optional[str] = None
    session_id: Optional[str] = None
    action: str
    sku: str
    quantity: int = 1


class OrderRequest(BaseModel):
    user_id: Optional[str] = None
    session_id: Optional[str] = None
    discount_code: Optional[str] = None
    delivery_method: Optional[str] = None


state: dict = {}


@asynccontextmanager
async def lifespan(_: FastAPI):
    # The configuration file names the spool file (spool.path); `spoolctl run` reads the same file.
    events = spool.Spool.from_config(os.environ.get("SPOOL_CONFIG"))
    state.update(analytics=AnalyticsService(events), personalization=Personalization(), carts=defaultdict(dict))
    try:
        yield
    finally:
        events.close()


app = FastAPI(title="LeafLoaf (Python, on Spool)", lifespan=lifespan)


def _user(user_id: Optional[str]) -> str:
    return user_id or "anonymous"


@app.post("/search")
def search(request: SearchRequest):
    started = time.perf_counter()
    user = _user(request.user_id)
    results, personalized = state["personalization"].rank(search_catalog(request.query), user)
    intent = "product_search" if results else "no_results"
    state["analytics"].track_search_event({
        "user_id": user, "session_id": request.session_id, "query": request.query, "intent": intent,
        "alpha": 0.3 if personalized else 0.5, "results_count": len(results),
        "categories": sorted({p["category"] for p in results}),
        "response_time_ms": (time.perf_counter() - started) * 1000,
    })
    return {"results": results, "intent": intent, "personalized": personalized}


@app.post("/interactions")
def interaction(request: InteractionRequest):
    product = BY_SKU.get(request.sku)
    if product is None:
        raise HTTPException(404, f"no product {request.sku}")
    user = _user(request.user_id)
    weight = SIGNAL_WEIGHTS.get(request.signal_type, 0.2)
    state["personalization"].record(user, product["category"], weight)
    state["analytics"].track_interaction_event({
        "user_id": user, "session_id": request.session_id, "signal_type": request.signal_type, "sku": product["sku"],
        "product_name": product["name"], "category": product["category"], "position": request.position,
        "signal_weight": weight, "search_query": request.search_query,
    })
    return {"recorded": True}


@app.post("/cart")
def cart(request: CartRequest):
    product = BY_SKU.get(request.sku)
    if product is None:
        raise HTTPException(404, f"no product {request.sku}")
    user = _user(request.user_id)
    lines = state["carts"][user]
    current = lines.get(product["sku"], 0)
    quantity = {"add": current + max(request.quantity, 1),
                "remove": max(current - request.quantity, 0) if request.quantity > 0 else 0}.get(
        request.action, max(request.quantity, 0))
    if quantity:
        lines[product["sku"]] = quantity
    else:
        lines.pop(product["sku"], None)
    total = round(sum(BY_SKU[sku]["price"] * count for sku, count in lines.items()), 2)
    if request.action == "add":
        state["personalization"].record(user, product["category"], SIGNAL_WEIGHTS["add_to_cart"])
    state["analytics"].track_cart_event({
        "user_id": user, "session_id": request.session_id, "action": request.action, "sku": product["sku"],
        "product_name": product["name"], "quantity": quantity, "price": product["price"], "cart_total": total,
    })
    return {"items": [{"sku": sku, "quantity": count} for sku, count in lines.items()], "total": total}


@app.post("/orders")
def order(request: OrderRequest):
    user = _user(request.user_id)
    lines = state["carts"].pop(user, {})
    if not lines:
        raise HTTPException(400, "the cart is empty")
    items = [{"sku": sku, "name": BY_SKU[sku]["name"], "quantity": count, "price": BY_SKU[sku]["price"]}
             for sku, count in lines.items()]
    subtotal = sum(item["price"] * item["quantity"] for item in items)
    discounts = [{"code": request.discount_code, "amount": round(subtotal * 0.1, 2)}] if request.discount_code else []
    total = round(subtotal - sum(d["amount"] for d in discounts), 2)
    order_id = str(uuid.uuid4())
    for item in items:
        state["personalization"].record(user, BY_SKU[item["sku"]]["category"], SIGNAL_WEIGHTS["purchase"])
    state["analytics"].track_order_event({
        "user_id": user, "session_id": request.session_id, "order_id": order_id, "total": total, "items": items,
        "discounts": discounts, "delivery": {"method": request.delivery_method} if request.delivery_method else None,
    })
    return {"order_id": order_id, "status": "completed", "total": total, "items": len(items)}


@app.get("/users/{user_id}/preferences")
def preferences(user_id: str):
    return {"user_id": user_id, "preferences": state["personalization"].preferences(user_id)}
