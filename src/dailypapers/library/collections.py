"""Collections: create, add, order and annotate (the library import is `imports.py`).

Each write is all or nothing: a collection made together with its first paper is made with it
or not at all, so a failed request leaves nothing behind and can be sent again.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Max

from dailypapers.library.models import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    Collection,
    CollectionItem,
)
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line, strip_controls

MAX_COLLECTIONS = 200
MAX_ITEMS = 5_000


class CollectionError(ValueError):
    """A request about a collection that cannot be done; the message is for people."""


def clean_name(text: str) -> str:
    name = one_line(strip_controls(text or ""))
    if not name:
        raise CollectionError("A collection needs a name.")
    if len(name) > MAX_NAME:
        raise CollectionError(f"A collection's name has at most {MAX_NAME} characters.")
    return name


def clean_text(text: str, limit: int, what: str) -> str:
    cleaned = strip_controls(text or "").replace("\r\n", "\n").strip()
    if len(cleaned) > limit:
        raise CollectionError(f"The {what} has at most {limit:,} characters.")
    return cleaned


def create(
    user: User,
    name: str,
    description: str = "",
    public: bool = False,
    *,
    first: Paper | None = None,
    note: str = "",
) -> Collection:
    """A new collection, with its `first` paper if given: both or neither (a failure to add
    the paper leaves no collection behind, so the same request can be sent again)."""
    name = clean_name(name)
    description = clean_text(description, MAX_DESCRIPTION, "description")
    with transaction.atomic():
        if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
            raise CollectionError(f"You have {MAX_COLLECTIONS} collections; delete one first.")
        try:
            with transaction.atomic():
                made = Collection.objects.create(
                    owner=user, name=name, description=description, public=public
                )
        except IntegrityError:
            raise CollectionError(f"You already have a collection named “{name}”.") from None
        if first is not None:
            add(made, first, note)
    return made


def update(collection: Collection, name: str, description: str, public: bool) -> None:
    collection.name = clean_name(name)
    collection.description = clean_text(description, MAX_DESCRIPTION, "description")
    collection.public = public
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise CollectionError(f"You already have a collection named “{collection.name}”.") from None


def add(collection: Collection, paper: Paper, note: str = "") -> tuple[CollectionItem, bool]:
    """Add at the end (or return the item already there); (item, whether it was added)."""
    note = clean_text(note, MAX_NOTE, "note")
    with transaction.atomic():
        # Lock the collection row: two adds at once get two positions.
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        found = CollectionItem.objects.filter(collection=collection, paper=paper).first()
        if found:
            return found, False
        if collection.items.count() >= MAX_ITEMS:
            raise CollectionError(f"A collection holds at most {MAX_ITEMS:,} papers.")
        last = collection.items.aggregate(m=Max("position"))["m"]
        item = CollectionItem.objects.create(
            collection=collection, paper=paper, position=(last or 0) + 1, note=note
        )
        Collection.objects.filter(pk=collection.pk).update(updated_at=item.added_at)
    return item, True


def remove(collection: Collection, paper: Paper) -> bool:
    return bool(CollectionItem.objects.filter(collection=collection, paper=paper).delete()[0])


def move(collection: Collection, paper: Paper, where: str) -> None:
    """Move a paper `up`, `down`, to the `top` or the `bottom`; positions are renumbered."""
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        items = list(collection.items.order_by("position", "pk"))
        index = next((i for i, it in enumerate(items) if it.paper_id == paper.pk), None)
        if index is None:
            raise CollectionError("That paper is not in this collection.")
        item = items.pop(index)
        target = {
            "up": max(index - 1, 0),
            "down": min(index + 1, len(items)),
            "top": 0,
            "bottom": len(items),
        }.get(where)
        if target is None:
            raise CollectionError("Move a paper up, down, to the top or to the bottom.")
        items.insert(target, item)
        changed = []
        for position, it in enumerate(items, start=1):
            if it.position != position:
                it.position = position
                changed.append(it)
        CollectionItem.objects.bulk_update(changed, ["position"])


def set_note(collection: Collection, paper: Paper, note: str) -> None:
    note = clean_text(note, MAX_NOTE, "note")
    if not CollectionItem.objects.filter(collection=collection, paper=paper).update(note=note):
        raise CollectionError("That paper is not in this collection.")


def papers_of(collection: Collection, offset: int = 0, limit: int | None = None) -> list[Paper]:
    """The collection's papers in order (`limit` of them from `offset`), each with `.note`."""
    items = collection.items.select_related("paper", "paper__entry").order_by("position", "pk")
    if limit is not None:
        items = items[offset : offset + limit]
    elif offset:
        items = items[offset:]
    out = []
    for item in items:
        item.paper.note = item.note  # type: ignore[attr-defined]  # for the page and the API
        out.append(item.paper)
    return out


def containing(user: User | AnonymousUser, paper: Paper) -> set[int]:
    """Ids of the user's collections that hold the paper."""
    if not user.is_authenticated:
        return set()
    return set(
        CollectionItem.objects.filter(collection__owner=user, paper=paper).values_list(
            "collection_id", flat=True
        )
    )
