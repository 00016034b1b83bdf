"""Records typed into a filter by slug or by name, one or several (`?condition=Psoriasis,melanoma`):
the input (`RecordsInput`, a type-ahead with JavaScript), the field (`RecordsField`) and the
form that finds the records of all its typed fields in one query (`RecordsForm`). The FilterSets
(catalog/filters.py) use them for classes, conditions and therapies, tables too big for a
`<select>`."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q, Value

from .params import comma_separated, parts


class RecordsInput(forms.TextInput):
    """A typed input for records of a table too big for a `<select>` (thousands of conditions
    or therapies): their names or slugs, comma-separated (`?x=a,b&x=c` reads as [a, b, c]).
    `data-suggest` names what static/js/typeahead.js offers while typing; without JavaScript
    it is a plain text box."""

    input_type = "search"

    def __init__(self, suggest, attrs=None):
        super().__init__(
            {"data-suggest": suggest, "autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        )

    def value_from_datadict(self, data, files, name):
        return comma_separated(data, name)

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(getattr(v, "slug", v)) for v in value) or None
        return super().format_value(value)


# A name or slug, or several comma-separated: anything but NUL with something besides commas
# and spaces (blank values are refused before filtering).
RECORDS_PATTERN = r"^[^\u0000]*[^\s,\u0000][^\u0000]*$"
# What the type-ahead (static/js/typeahead.js, /search/suggest/?type=) calls each model.
SUGGEST = {"therapy": "therapy", "therapyclass": "class", "condition": "condition"}


class RecordsField(forms.Field):
    """Records typed by slug or by name (case-insensitive), one or several. Cleans to the list
    of typed values; the form then finds the records of all its RecordsFields in one query
    (`RecordsForm`)."""

    widget = RecordsInput
    default_error_messages = {
        # The wording of Django's choice fields (clients and tests match on it).
        "invalid_choice": "Select a valid choice. %(value)s is not one of the available choices.",
    }

    def __init__(self, *, queryset, to_field_name="slug", name_field="name", **kwargs):
        self.queryset = queryset
        self.to_field_name = to_field_name
        self.name_field = name_field
        kwargs.setdefault("widget", RecordsInput(SUGGEST[queryset.model._meta.model_name]))
        super().__init__(**kwargs)
        self.validators.append(ProhibitNullCharactersValidator())

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = parts(value)
        return list(dict.fromkeys(str(v) for v in value))

    def run_validators(self, value):
        for part in value:
            super().run_validators(part)

    def lookup(self, values, tag):
        """The records any of `values` names, as (pk, slug, name, tag) rows."""
        values = list(dict.fromkeys(values))
        names = Q()
        for value in values:
            names |= Q(**{f"{self.name_field}__iexact": value})
        return (
            self.queryset.filter(Q(**{f"{self.to_field_name}__in": values}) | names)
            .annotate(filter_name=Value(tag))
            .order_by()
            .values_list("pk", self.to_field_name, self.name_field, "filter_name")
        )

    def resolve(self, given, rows):
        """The records for the values `given` (each one or several, comma-separated; a slug
        before a name, and a whole value before its parts, for names with a comma such as
        "Melanoma, stage II"), or a ValidationError naming the first value matching none."""
        model = self.queryset.model
        by_slug = {slug: (pk, slug, name) for pk, slug, name in rows}
        by_name = {}
        for pk, slug, name in rows:
            by_name.setdefault(name.casefold(), []).append((pk, slug, name))
        found = {}
        for value in given:
            whole = by_name.get(value.strip().casefold()) if "," in value else None
            for part in [value] if whole else self.to_python(value):
                matches = whole or (
                    [by_slug[part]] if part in by_slug else by_name.get(part.casefold())
                )
                if not matches:
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": part},
                    )
                for pk, slug, name in matches:
                    # What filtering (the primary key) and echoing (the slug) need, by name.
                    found[pk] = model(
                        **{
                            model._meta.pk.attname: pk,
                            self.to_field_name: slug,
                            self.name_field: name,
                        }
                    )
        return list(found.values())


class RecordsForm(forms.Form):
    """A filter form whose RecordsFields are looked up together: one query for all of them,
    whatever the number of filters and values given (in `clean()`, once every field has
    cleaned its typed values)."""

    def clean(self):
        cleaned_data = super().clean()
        pending = []
        for name, field in self.fields.items():
            if isinstance(field, RecordsField) and self.cleaned_data.get(name):
                key = self.add_prefix(name)
                given = self.data.getlist(key) if hasattr(self.data, "getlist") else []
                given = [value for value in given or self.cleaned_data[name] if value.strip()]
                pending.append((name, field, given))
        if not pending:
            return cleaned_data
        lookups = [
            # Every part, and every whole value with a comma (it may be one name).
            field.lookup([*field.to_python(",".join(given)), *(v.strip() for v in given)], name)
            for name, field, given in pending
        ]
        query = lookups[0].union(*lookups[1:], all=True) if len(lookups) > 1 else lookups[0]
        rows = {}
        for pk, slug, record_name, name in query:
            rows.setdefault(name, []).append((pk, slug, record_name))
        for name, field, given in pending:
            try:
                cleaned_data[name] = field.resolve(given, rows.get(name, []))
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned_data
