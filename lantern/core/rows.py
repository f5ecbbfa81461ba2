"""Model instances read by hand-written SQL, for the few hot paths where compiling the ORM query costs more
than running it (the API's token lookup: 1.5 ms of CPU through the ORM, 0.2 ms this way)."""

from django.db import connections
from django.db.models import Model


class Columns:
    """Every concrete column of `model` under a table alias: to SELECT in raw SQL and turn back into an instance.

    Values pass through the same converters the ORM applies (SQLite's text dates, say), and the instance is built
    by `Model.from_db`, as a queryset would build it.
    """

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self._converters: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, using: str = "default") -> str:
        """The SELECT list: alias-qualified, quoted column names in field order."""
        quote = connections[using].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def read(self, values, using: str = "default") -> Model:
        """The instance for `values`, one per column in `select()` order."""
        connection = connections[using]
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = []
            for field in self.fields:
                column = field.get_col(self.alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                converters.append((column, found))
            self._converters[connection.vendor] = converters
        converted = []
        for value, (column, found) in zip(values, converters, strict=True):
            for convert in found:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(using, self.attnames, converted)
