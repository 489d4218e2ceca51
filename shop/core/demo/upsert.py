"""Idempotent bulk writes keyed by a natural key (code, slug…)."""
from dataclasses import dataclass, field


@dataclass
class SyncResult:
    objects: dict = field(default_factory=dict)
    created: int = 0
    updated: int = 0


def sync_rows(model, key: str, rows: list[dict], batch_size: int = 500) -> SyncResult:
    """Create the rows whose ``key`` is missing and update the ones whose
    fields differ; rows name foreign keys by attname (``city_id``).
    Returns every object by key."""
    result = SyncResult()
    keys = [row[key] for row in rows]
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": keys})}
    to_create, to_update, changed_fields = [], [], set()
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
        else:
            changed = [name for name, value in row.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, row[name])
            if changed:
                to_update.append(obj)
                changed_fields.update(changed)
        result.objects[row[key]] = obj
    if to_create:
        model.objects.bulk_create(to_create, batch_size=batch_size)
        if to_create[0].pk is None:  # backends that cannot return ids
            fresh = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": keys})}
            result.objects.update(fresh)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=batch_size)
    result.created, result.updated = len(to_create), len(to_update)
    return result
