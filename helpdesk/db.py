"""Database helpers the ORM has no fast path for."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def bulk_update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of many rows of one model: one ``UPDATE … WHERE pk`` per row, sent in a single pipeline.

    Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` per field over the whole batch: Python
    time grows with rows times fields, and PostgreSQL evaluates every branch for every row. On 3000
    dataset rows and 8 fields it took 4.3 s, psycopg's ``executemany`` (pipeline mode, no round trip
    per row) 0.7 s. Values go through each field's own ``get_db_prep_save`` (JSON, vectors), as
    ``save()`` does. Table and column names come from the model, never from input.
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)  # type: ignore[union-attr, arg-type]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]  # type: ignore[union-attr]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
