"""The columns of the admin's import and export, one resource per kind of record
(django-import-export): therapies, their other names (brand names, abbreviations, synonyms),
conditions and indications. Related records are named by their address (slug); an indication's
limits are columns of their own. Status and the review fields are not columns: a new record is a
draft, an updated one keeps its publication and review (catalog/rights.py puts back what the
importing user may not change). Each row is saved on its own, so the history records one
version per row, "Imported from <file>", by the importing user; the search index is brought up
to date after a real import, as after an admin save."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import slugify
from import_export import fields, resources
from import_export.results import Result

from .. import rights
from ..models import (
    Condition,
    ConditionCategory,
    Indication,
    LineOfTherapy,
    Qualifier,
    SearchTerm,
    Severity,
    Source,
    Therapy,
    TherapyClass,
    TherapyName,
    registry,
)
from ..text import normalise
from .formats import MAX_ROWS
from .widgets import AddressesWidget, AddressWidget, ChoiceWidget, cell_text, one_line

__all__ = ["ConditionResource", "IndicationResource", "TherapyNameResource", "TherapyResource"]


REASON_LENGTH = 100  # django-simple-history's change reason column


def import_reason(file_name):
    """ "Imported from <file name>", the name shortened to fit the history's column."""
    reason = f"Imported from {file_name or 'a file'}"
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def column(name, attribute=None, widget=None):
    return fields.Field(attribute=attribute or name, column_name=name, widget=widget)


def sources_column():
    return column("sources", widget=AddressesWidget(Source, noun="source"))


class ImportResult(Result):
    """The outcome of an import, as an editor reads it: every bad row's problems in words, and
    what the import does ("2 new, 1 changed, 5 unchanged"). Rows are numbered as a spreadsheet
    shows them: the column headings are row 1."""

    columns = {}  # field attribute -> column name

    @staticmethod
    def sheet_row(number):
        return number + 1

    @property
    def problems(self):
        lines = [str(error.error) for error in self.base_errors]
        for row in self.invalid_rows:
            where = f"Row {self.sheet_row(row.number)}"
            for field, errors in row.field_specific_errors.items():
                lines += [f"{where}, {self.columns.get(field, field)}: {e}" for e in errors]
            lines += [f"{where}: {e}" for e in row.non_field_specific_errors]
        for number, errors in self.row_errors():
            lines += [f"Row {self.sheet_row(number)}: {error.error}" for error in errors]
        return lines

    @property
    def summary(self):
        totals = self.totals
        return f"{totals['new']} new, {totals['update']} changed, {totals['skip']} unchanged"


class CatalogResource(resources.ModelResource):
    """What every resource shares: the required columns, the row limit, row-by-row saves with
    their history, the rights rule, a name compared as search compares names."""

    required_columns = ()
    name_column = None  # the column whose name must not be another record's (normalised)
    related = ()  # what an export's rows read of other tables, in a fixed number of queries
    prefetched = ()

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True  # its markup carries inline styles the CSP refuses
        store_row_values = True
        use_bulk = False  # one save per row: one version per row

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.saved = []

    def get_result_class(self):
        return ImportResult

    def column_names(self):
        return [f.column_name for f in self.get_import_fields()]

    def import_data(self, dataset, *args, **kwargs):
        """A file too long or without a required column is refused before any row is read."""
        try:
            self.check_file(dataset)
        except ValueError as error:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.append_base_error(self.get_error_result_class()(error))
            return result
        result = super().import_data(dataset, *args, **kwargs)
        result.columns = {f.attribute: f.column_name for f in self.get_import_fields()}
        return result

    def check_file(self, dataset):
        if dataset.height > MAX_ROWS:
            raise ValueError(
                f"The file has more than {MAX_ROWS} rows: import at most {MAX_ROWS} at a time "
                "(split the file)."
            )
        # "Therapy class" and "therapy_class" are one column.
        headers = [one_line(h).lower().replace(" ", "_") for h in dataset.headers or []]
        dataset.headers = headers
        missing = [name for name in self.required_columns if name not in headers]
        if missing:
            named = ", ".join(f"“{name}”" for name in missing)
            raise ValueError(
                f"The file has no column {named}. Its first row names the columns: "
                f"{', '.join(self.column_names())}."
            )

    def before_import_row(self, row, **kwargs):
        for key, value in list(row.items()):
            row[key] = one_line(value) if key == "name" else cell_text(value)

    def import_instance(self, instance, row, **kwargs):
        """Every cell's problem at once, the sources' included (the library checks them only
        after saving)."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self.get_import_fields():
            if isinstance(field.widget, AddressesWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        clash = self.name_clash(instance)
        if clash and self.name_column not in errors:
            errors[self.name_column] = [clash]
        super().validate_instance(instance, errors, validate_unique)

    def name_clash(self, instance):
        """Why the record's name is taken (compared as search compares names: "RITUXIMAB",
        "rituximab" and "Ritu-ximab" are one name), or None."""
        if not self.name_column:
            return None
        key = normalise(getattr(instance, self.name_column))[:200]
        field = type(instance).search_field
        taken = (
            SearchTerm.objects.filter(key=key, relation="", **{f"{field}__isnull": False})
            .exclude(**{field: instance.pk})
            .values_list(f"{field}__name", f"{field}__slug")
            .first()
        )
        if key and taken:
            return f"“{taken[0]}” ({taken[1]}) already has this name"
        return None

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if user is not None:
            rights.keep_locked_fields(user, instance)
            instance._history_user = user
        instance._change_reason = import_reason(kwargs.get("file_name"))

    def save_m2m(self, instance, row, **kwargs):
        """The sources, set just after the row's save, belong to the version that save
        recorded: one version per row, not a second one for the sources."""
        instance.skip_history_when_saving = True
        try:
            super().save_m2m(instance, row, **kwargs)
        finally:
            del instance.skip_history_when_saving
        history = getattr(instance, "history", None)
        version = history.order_by("-history_id").first() if history is not None else None
        for field in getattr(version, "_history_m2m_fields", ()):
            rows, through = getattr(version, field.name), getattr(instance, field.name).through
            rows.all().delete()
            links = through.objects.filter(**{field.m2m_field_name(): instance})
            rows.model.objects.bulk_create(
                rows.model(
                    history=version,
                    **{f.attname: getattr(link, f.attname) for f in through._meta.fields},
                )
                for link in links
            )

    def after_save_instance(self, instance, row, **kwargs):
        self.saved.append(self.indexed_record(instance))

    def indexed_record(self, instance):
        """The record whose names search indexes for this row."""
        return instance

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(*self.related).prefetch_related(*self.prefetched)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not self._is_dry_run(kwargs):
            searchable = registry.searchable_models()
            SearchTerm.objects.index([r for r in self.saved if type(r) in searchable])


class NamedResource(CatalogResource):
    """A record with a name and an address, found by its address; a row without an address gets
    one made from the name."""

    required_columns = ("name",)
    name_column = "name"

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        if not row.get("address"):
            row["address"] = slugify(row.get("name", ""))[:120]


class TherapyResource(NamedResource):
    address = column("address", "slug")
    name = column("name")
    therapy_class = column("therapy_class", widget=AddressWidget(TherapyClass, "therapy class"))
    summary = column("summary")
    description = column("description")
    sources = sources_column()

    required_columns = ("name", "therapy_class")
    related, prefetched = ("therapy_class",), ("sources",)

    class Meta(CatalogResource.Meta):
        model = Therapy
        name = "Therapies"
        fields = ("address", "name", "therapy_class", "summary", "description", "sources")
        import_id_fields = ("address",)


class TherapyNameResource(CatalogResource):
    therapy = column("therapy", widget=AddressWidget(Therapy, "therapy"))
    name = column("name")
    kind = column("kind", widget=ChoiceWidget(TherapyName.Kind))

    required_columns = ("therapy", "name", "kind")

    class Meta(CatalogResource.Meta):
        model = TherapyName
        name = "Other names (brand names, abbreviations, synonyms)"
        fields = ("therapy", "name", "kind")
        import_id_fields = ("therapy", "name")

    def get_instance(self, instance_loader, row):
        """A therapy's name, whatever its case, accents or punctuation in the file."""
        key = normalise(row.get("name", ""))
        therapy = Therapy.objects.filter(slug=row.get("therapy", "")).first()
        if therapy is None or not key:
            return None
        for other in therapy.other_names.all():
            if normalise(other.name) == key:
                return other
        return None

    def filter_export(self, queryset, **kwargs):
        """From the therapies' changelist: the names of the therapies it shows."""
        if queryset.model is Therapy:
            queryset = TherapyName.objects.filter(therapy__in=queryset.values("pk"))
        return queryset.select_related("therapy").order_by("therapy__name", "kind", "name")

    def indexed_record(self, instance):
        return instance.therapy


class ConditionResource(NamedResource):
    address = column("address", "slug")
    name = column("name")
    category = column("category", widget=ChoiceWidget(ConditionCategory))
    parent = column("parent", widget=AddressWidget(Condition, "condition"))
    summary = column("summary")
    sources = sources_column()

    required_columns = ("name", "category")
    related, prefetched = ("parent",), ("sources",)

    class Meta(CatalogResource.Meta):
        model = Condition
        name = "Conditions"
        fields = ("address", "name", "category", "parent", "summary", "sources")
        import_id_fields = ("address",)


class IndicationResource(CatalogResource):
    therapy = column("therapy", widget=AddressWidget(Therapy, "therapy"))
    therapy_class = column("therapy_class", widget=AddressWidget(TherapyClass, "therapy class"))
    condition = column("condition", widget=AddressWidget(Condition, "condition"))
    qualifier = column("qualifier", widget=ChoiceWidget(Qualifier))
    severity = column("severity", widget=ChoiceWidget(Severity))
    population = column("population")
    combination = column("combination")
    line_of_therapy = column("line_of_therapy", widget=ChoiceWidget(LineOfTherapy))
    note = column("note")
    sources = sources_column()

    required_columns = ("therapy", "therapy_class", "condition")
    related, prefetched = ("therapy", "therapy_class", "condition"), ("sources",)

    class Meta(CatalogResource.Meta):
        model = Indication
        name = "Indications"
        fields = (
            "therapy",
            "therapy_class",
            "condition",
            "qualifier",
            "severity",
            "population",
            "combination",
            "line_of_therapy",
            "note",
            "sources",
        )
        import_id_fields = ("therapy", "therapy_class", "condition")

    def get_instance(self, instance_loader, row):
        """The therapy's (or class's) indication for the condition, if there is one."""
        ends = {
            "therapy__slug": row.get("therapy") or None,
            "therapy_class__slug": row.get("therapy_class") or None,
            "condition__slug": row.get("condition"),
        }
        lookup = Q(**{k: v for k, v in ends.items() if v})
        for name in ("therapy", "therapy_class"):
            if not row.get(name):
                lookup &= Q(**{f"{name}__isnull": True})
        return Indication.objects.filter(lookup).first()
