"""Records typed into a filter by name, other name or slug, one or several
(`?condition=Psoriasis,RA`): the input (`RecordsInput`, a type-ahead with JavaScript), the field
(`RecordsField`) and the form that finds the records of all its typed fields in one query
(`RecordsForm`), then shows them by name. The FilterSets (catalog/filters.py) use them for
classes, conditions and therapies, tables too big for a `<select>`.

A typed value is a record's slug, its name in any case, or any of its names (own, brand,
abbreviation, other) as search compares them (catalog/text.py: case, accents and punctuation
aside), read from the search index (catalog/models/search.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import F, Q, Value
from django.forms.boundfield import BoundField

from . import form_rendering
from .models import SearchTerm
from .params import comma_separated, parts
from .text import normalise


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


class RecordsBoundField(BoundField):
    """Shows the records a filter found by their names (`RecordsForm.shown`), whatever was
    typed: `?condition=RA` shows "Rheumatoid arthritis" in the box."""

    def value(self):
        shown = getattr(self.form, "shown", {}).get(self.name)
        return shown if shown is not None else super().value()


class RecordsField(forms.Field):
    """Records typed by slug or by name, one or several. Cleans to the list of typed values;
    the form then finds the records of all its RecordsFields in one query (`RecordsForm`)."""

    widget = RecordsInput
    default_error_messages = {
        "invalid_choice": "No %(noun)s called “%(value)s”.",
    }

    def __init__(self, *, queryset, to_field_name="slug", name_field="name", noun=None, **kwargs):
        self.queryset = queryset
        self.to_field_name = to_field_name
        self.name_field = name_field
        self.noun = noun or queryset.model._meta.verbose_name
        kwargs.setdefault("widget", RecordsInput(SUGGEST[queryset.model._meta.model_name]))
        super().__init__(**kwargs)
        self.validators.append(ProhibitNullCharactersValidator())

    def get_bound_field(self, form, field_name):
        return RecordsBoundField(form, self, field_name)

    @property
    def search_field(self):
        """The search index's key to this field's records (None if they are not indexed)."""
        return getattr(self.queryset.model, "search_field", None)

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
        """The querysets finding the records any of `values` names, as (pk, slug, name, tag,
        key) rows: by slug or name (key ""), and through the search index by any of their
        names (the name's normalised key), for one UNION with the other fields' lookups."""
        values = list(dict.fromkeys(values))
        names = Q()
        for value in values:
            names |= Q(**{f"{self.name_field}__iexact": value})
        columns = ["filter_name", "matched_key"]
        direct = (
            self.queryset.filter(Q(**{f"{self.to_field_name}__in": values}) | names)
            .annotate(filter_name=Value(tag), matched_key=Value(""))
            .order_by()
            .values_list("pk", self.to_field_name, self.name_field, *columns)
        )
        field, keys = self.search_field, [k for k in dict.fromkeys(map(normalise, values)) if k]
        if not field or not keys:
            return [direct]
        indexed = (
            SearchTerm.objects.filter(key__in=keys, **{f"{field}__in": self.queryset.values("pk")})
            .annotate(filter_name=Value(tag), matched_key=F("key"))
            .order_by()
            .values_list(
                field, f"{field}__{self.to_field_name}", f"{field}__{self.name_field}", *columns
            )
        )
        return [direct, indexed]

    def resolve(self, given, rows):
        """The records for the values `given` (each one or several, comma-separated; a slug
        before a name, a name before another of a record's names, and a whole value before its
        parts, for names with a comma such as "Melanoma, stage II"), or a ValidationError
        naming the first value matching none."""
        model = self.queryset.model
        by_slug, by_name, by_key = {}, {}, {}
        for pk, slug, name, key in rows:
            record = (pk, slug, name)
            if key:
                by_key.setdefault(key, {})[pk] = record
                continue
            by_slug[slug] = record
            by_name.setdefault(name.casefold(), {})[pk] = record

        def named(value):
            found = by_name.get(value.strip().casefold()) or by_key.get(normalise(value))
            return list(found.values()) if found else None

        found = {}
        for value in given:
            whole = named(value) if "," in value else None
            for part in [value] if whole else self.to_python(value):
                matches = whole or ([by_slug[part]] if part in by_slug else named(part))
                if not matches:
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": part, "noun": self.noun},
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

    def shown(self, records):
        """The records as the box shows them: their names, comma-separated (a name with a
        comma among several records is shown by its slug, so the box reads back the same)."""
        names = [getattr(record, self.name_field) for record in records]
        if len(names) > 1:
            names = [
                getattr(record, self.to_field_name) if "," in name else name
                for name, record in zip(names, records, strict=True)
            ]
        return ", ".join(names)


class RecordsForm(forms.Form):
    """A filter form whose RecordsFields are looked up together: one query for all of them,
    whatever the number of filters and values given (in `clean()`, once every field has
    cleaned its typed values). `shown`: what each field found, by name, for its box. Its
    fields render through Jinja2 (catalog/form_rendering.py)."""

    default_renderer = form_rendering.renderer

    def clean(self):
        cleaned_data = super().clean()
        self.shown = {}
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
            part
            for name, field, given in pending
            for part in field.lookup(
                [*field.to_python(",".join(given)), *(v.strip() for v in given)], name
            )
        ]
        query = lookups[0].union(*lookups[1:], all=True) if len(lookups) > 1 else lookups[0]
        rows = {}
        for pk, slug, record_name, name, key in query:
            rows.setdefault(name, []).append((pk, slug, record_name, key))
        for name, field, given in pending:
            try:
                cleaned_data[name] = field.resolve(given, rows.get(name, []))
            except ValidationError as error:
                self.add_error(name, error)
            else:
                self.shown[name] = field.shown(cleaned_data[name])
        return cleaned_data
