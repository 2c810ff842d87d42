"""A small inventory API: typed views with stein.ext.openapi.

Run it: ``python examples/api/inventory.py`` then open http://127.0.0.1:5001/docs
(needs ``pip install stein[openapi]`` and ``make openapi-assets`` for the docs page).
"""

from __future__ import annotations

import threading
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from stein import Stein
from stein.exceptions import Conflict, HTTPException, NotFound
from stein.ext.openapi import OpenAPI, Path, Query

ItemId = Annotated[int, Path(description="The item's id"), Field(ge=1, le=2**31 - 1)]


class ItemIn(BaseModel):
    """What a client sends to create an item."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,19}$", examples=["BOLT-M6"])
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=0, ge=0, le=1_000_000)
    price_cents: int = Field(ge=0, le=100_000_000)


class ItemPatch(BaseModel):
    """Fields to change; the ones left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    price_cents: int | None = Field(default=None, ge=0, le=100_000_000)


class Adjustment(BaseModel):
    """Stock moved in (positive) or out (negative)."""

    model_config = ConfigDict(extra="forbid")

    delta: int = Field(ge=-1_000_000, le=1_000_000)


class ItemOut(BaseModel):
    id: int
    sku: str
    name: str
    quantity: int
    price_cents: int


class ListQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    q: str | None = Field(default=None, max_length=100, description="Substring of the name")
    in_stock: bool | None = None


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int


class Error(BaseModel):
    error: str
    message: str


class Inventory:
    """The store: a dict behind a lock (the example keeps no database)."""

    def __init__(self) -> None:
        self.items: dict[int, ItemOut] = {}
        self.next_id = 1
        self.lock = threading.Lock()

    def add(self, data: ItemIn) -> ItemOut:
        with self.lock:
            if any(i.sku == data.sku for i in self.items.values()):
                raise Conflict(f"An item with SKU {data.sku} exists already.")
            item = ItemOut(id=self.next_id, **data.model_dump())
            self.items[item.id] = item
            self.next_id += 1
            return item

    def get(self, item_id: int) -> ItemOut:
        item = self.items.get(item_id)
        if item is None:
            raise NotFound(f"No item with id {item_id}.")
        return item


def create_app(test_config: dict | None = None) -> Stein:
    app = Stein(__name__)
    app.config.update(test_config or {})
    store = Inventory()
    app.extensions["inventory"] = store
    api = OpenAPI(app, title="Inventory", version="1.0.0",
                  description="Items, their stock and their prices.")
    not_found = {404: (Error, "No such item")}

    @app.errorhandler(HTTPException)
    def json_error(e: HTTPException):
        return {"error": type(e).__name__, "message": e.description}, e.code

    @api.get("/items", tags=["items"])
    def list_items(query: Annotated[ListQuery, Query()]) -> ItemPage:
        """List items, filtered and paginated."""
        items = sorted(store.items.values(), key=lambda i: i.id)
        if query.q:
            items = [i for i in items if query.q.lower() in i.name.lower()]
        if query.in_stock is not None:
            items = [i for i in items if (i.quantity > 0) == query.in_stock]
        return ItemPage(items=items[query.offset:query.offset + query.limit], total=len(items))

    @api.post("/items", status_code=201, tags=["items"],
              responses={409: (Error, "SKU already used")})
    def create_item(body: ItemIn) -> ItemOut:
        """Create an item."""
        return store.add(body)

    @api.get("/items/<int:item_id>", tags=["items"], responses=not_found)
    def get_item(item_id: ItemId) -> ItemOut:
        """One item."""
        return store.get(item_id)

    @api.patch("/items/<int:item_id>", tags=["items"], responses=not_found)
    def update_item(item_id: ItemId, body: ItemPatch) -> ItemOut:
        """Change an item's name or price."""
        with store.lock:
            item = store.get(item_id)
            changed = item.model_copy(update=body.model_dump(exclude_unset=True, exclude_none=True))
            store.items[item_id] = changed
            return changed

    @api.delete("/items/<int:item_id>", status_code=204, tags=["items"], responses=not_found)
    def delete_item(item_id: ItemId) -> None:
        """Remove an item."""
        with store.lock:
            store.get(item_id)
            del store.items[item_id]
        return "", 204

    @api.post("/items/<int:item_id>/adjust", tags=["stock"],
              responses={**not_found, 409: (Error, "Not enough stock")})
    def adjust_stock(item_id: ItemId, body: Adjustment) -> ItemOut:
        """Move stock in or out; stock never goes below zero."""
        with store.lock:
            item = store.get(item_id)
            quantity = item.quantity + body.delta
            if quantity < 0:
                raise Conflict(f"Only {item.quantity} in stock.")
            if quantity > 1_000_000:
                raise Conflict("Stock cannot exceed 1000000.")
            store.items[item_id] = item.model_copy(update={"quantity": quantity})
            return store.items[item_id]

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=5001)
