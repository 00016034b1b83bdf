"""The condition-by-therapy matrix (`/matrix/`): which therapies are used for which conditions,
agent-level or through their class, as a table and, for phones, as a list per condition. Filtered
as the lists are (catalog/filters.py: classes typed by name or slug, the condition category a
short select). Five queries for the table while it fits on a screen or two, and one looking up
the typed classes; a large catalog's matrix comes a page of therapies at a time (see `build`).
Its order puts filled cells first (see `table`): each class next to the category of conditions
it is mostly used for, and in each category the conditions with uses before those without."""

from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from .filters import (
    MULTI_HELP,
    NOT_A_CHOICE,
    CommaSeparatedSelectMultiple,
    RecordsForm,
    SlugMultipleFilter,
)
from .models import Condition, ConditionCategory, Indication, Therapy, TherapyClass
from .models.rows import row_expressions


class MatrixForm(RecordsForm):
    """The GET filters, with the lists' names, fields, syntax and errors: the class filter is the
    lists' typed records filter (one lookup for its values, an unknown one a 400 naming it)."""

    therapy_class = SlugMultipleFilter(
        queryset=TherapyClass.objects.published(), label="Class", noun="class"
    ).field
    category = forms.MultipleChoiceField(
        choices=ConditionCategory.choices,
        required=False,
        widget=CommaSeparatedSelectMultiple,
        label="Condition category",
        help_text=MULTI_HELP,
        error_messages=NOT_A_CHOICE,
    )


PAGE_ERROR = "The page of therapies must be a whole number from 1."


class ColumnPageForm(forms.Form):
    """The page of therapies of a large matrix (`?columns=2`). Only the page links set it: the
    filter form has no control for it (new filters start again at the first page)."""

    columns = forms.IntegerField(
        min_value=1,
        required=False,
        error_messages={"invalid": PAGE_ERROR, "min_value": PAGE_ERROR},
    )


# What a cell shows of a use besides its qualifier: the source's limits (Indication.limits).
LIMIT_FIELDS = ("severity", "population", "combination", "line_of_therapy", "note")


@dataclass
class Use:
    """One claim in a cell: `level` is "agent" or "class"."""

    level: str
    indication: Indication
    url: str

    @property
    def label(self):
        return "Agent-level" if self.level == "agent" else "Class-level"

    @property
    def qualifier(self):
        return self.indication.get_qualifier_display() if self.indication.qualifier else ""

    @property
    def limits(self):
        """The source's limits on the use ("Moderately to severely active, adults")."""
        return ", ".join(self.indication.limits)


@dataclass
class Column:
    """A published therapy, or a class with no published agents (`therapy` is None)."""

    therapy_class: TherapyClass
    therapy: Therapy | None = None

    @property
    def name(self):
        return self.therapy.name if self.therapy else self.therapy_class.name

    @property
    def title(self):
        """The name with the brand names: "Adalimumab (Humira)"."""
        brands = getattr(self.therapy, "brands", None)
        return f"{self.name} ({', '.join(brands)})" if brands else self.name

    @property
    def url(self):
        return (self.therapy or self.therapy_class).get_absolute_url()


@dataclass
class ClassGroup:
    therapy_class: TherapyClass
    columns: list = field(default_factory=list)


@dataclass
class Entry:
    """A use in a condition's list (the phone layout): a therapy, or a class as a whole."""

    name: str
    url: str
    use: Use

    @property
    def whole_class(self):
        return self.use.level == "class"


@dataclass
class Row:
    condition: Condition
    cells: list
    entries: list
    parent: Condition | None = None

    @property
    def filled(self):
        return bool(self.entries)


@dataclass
class Category:
    value: str
    label: str
    rows: list = field(default_factory=list)


MAX_COLUMNS = 60  # therapies in one table; beyond, the therapies come a page at a time
MAX_ROWS = 300  # conditions in one table; beyond, only those the page's therapies are used for


def group_columns(class_list, therapies, own_columns=True):
    """Class groups of columns, in the classes' order. `own_columns`: a class with no published
    agent gets a column of its own."""
    groups = []
    for therapy_class in class_list:
        agents = therapies.get(therapy_class.pk)
        if not agents and not own_columns:
            continue
        group = ClassGroup(therapy_class)
        group.columns = (
            [Column(therapy_class, t) for t in agents] if agents else [Column(therapy_class)]
        )
        groups.append(group)
    return groups


def by_main_category(groups, conditions, indications):
    """The class groups ordered by the category of conditions each class (or its agents) is
    mostly used for, in the categories' order, so that a category's rows meet its therapies in
    the table's first columns; classes with no use shown last. Stable: the classes' own order
    within a category."""
    rank = {value: i for i, (value, _label) in enumerate(ConditionCategory.choices)}
    category = {c.pk: c.category for c in conditions}
    class_of = {c.therapy.pk: g.therapy_class.pk for g in groups for c in g.columns if c.therapy}
    uses = {}  # class -> category -> uses
    for indication in indications:
        class_id = class_of.get(indication.therapy_id, indication.therapy_class_id)
        if indication.condition_id in category and class_id:
            counter = uses.setdefault(class_id, Counter())
            counter[category[indication.condition_id]] += 1

    def main_rank(group):
        counter = uses.get(group.therapy_class.pk)
        if not counter:
            return len(rank)
        return min(rank[c] for c, n in counter.items() if n == max(counter.values()))

    return sorted(groups, key=main_rank)


def table(groups, conditions, indications):
    """The rows, by category, sub-conditions under their parent, one cell per column, and each
    row's uses as a list (a class-level use once, before its agents). Columns as
    `by_main_category` orders them. In each category the table's rows come in the order of
    their first filled column (a staircase: the first screen shows uses), ties and the phone
    list (`list_sections`) in name order with the conditions that have a use first; a parent
    and its sub-conditions go together."""
    indications = list(indications)
    groups = by_main_category(groups, conditions, indications)
    columns = [column for group in groups for column in group.columns]
    agent_uses, class_uses = {}, {}
    for indication in indications:
        if indication.therapy_id:
            agent_uses[indication.therapy_id, indication.condition_id] = indication
        else:
            class_uses[indication.therapy_class_id, indication.condition_id] = indication

    def row(condition, parent=None):
        cells, entries, listed = [], [], set()
        for column in columns:
            uses = []
            if column.therapy:
                agent = agent_uses.get((column.therapy.pk, condition.pk))
                if agent:
                    uses.append(Use("agent", agent, column.therapy.get_absolute_url()))
            through_class = class_uses.get((column.therapy_class.pk, condition.pk))
            if through_class:
                url = condition.get_absolute_url() + "#class-indications"
                uses.append(Use("class", through_class, url))
            for use in reversed(uses):  # the class as a whole first
                if use.level == "agent":
                    entries.append(Entry(column.title, column.url, use))
                elif column.therapy_class.pk not in listed:
                    listed.add(column.therapy_class.pk)
                    klass = column.therapy_class
                    entries.append(Entry(klass.name, klass.get_absolute_url(), use))
            cells.append(uses)
        return Row(condition, cells, entries, parent=parent)

    by_id = {c.pk: c for c in conditions}
    children = {}
    for condition in conditions:
        if condition.parent_id in by_id:
            children.setdefault(condition.parent_id, []).append(condition)
    families = {value: [] for value, _label in ConditionCategory.choices}
    for condition in conditions:
        if condition.parent_id in by_id:
            continue  # listed under its parent
        kids = [row(child, parent=condition) for child in children.get(condition.pk, [])]
        families[condition.category].append([row(condition), *kids])

    def first_filled(rows):  # the family's first column with a use; none: after all
        return min(
            (i for r in rows for i, uses in enumerate(r.cells) if uses), default=len(columns)
        )

    def sections(order):
        result = []
        for value, label in ConditionCategory.choices:
            ordered = sorted(families[value], key=order)  # stable: name order otherwise
            if ordered:
                result.append(Category(value, label, [r for rows in ordered for r in rows]))
        return result

    return {
        "groups": groups,
        "columns": columns,
        "sections": sections(first_filled),
        "list_sections": sections(lambda rows: not any(r.filled for r in rows)),
        "width": len(columns) + 1,
    }


def build(classes=None, categories=None, column_page=1):
    """The matrix for the given classes and condition categories (all when empty). Five
    queries while it fits in one table (MAX_COLUMNS therapies, MAX_ROWS conditions); beyond,
    one page of therapies (`column_page`) and the conditions they are used for, in six."""
    class_qs = TherapyClass.objects.published().only("slug", "name")
    if classes:
        class_qs = class_qs.filter(pk__in=[c.pk for c in classes])
    class_list = list(class_qs)
    class_ids = [c.pk for c in class_list]
    therapy_qs = (
        Therapy.objects.published()
        .filter(therapy_class__in=class_ids)
        .only("slug", "name", "therapy_class_id")
        .annotate(brands=row_expressions(Therapy, ["brand_names"])["brand_names"])
        .order_by("therapy_class__name", "name", "pk")
    )
    paginator = Paginator(therapy_qs, MAX_COLUMNS)
    condition_qs = Condition.objects.published().only("slug", "name", "category", "parent_id")
    if categories:
        condition_qs = condition_qs.filter(category__in=categories)
    conditions = list(condition_qs[: MAX_ROWS + 1])
    published = Indication.objects.published().order_by()
    fields = ("therapy_id", "therapy_class_id", "condition_id", "qualifier", *LIMIT_FIELDS)
    if paginator.count <= MAX_COLUMNS and len(conditions) <= MAX_ROWS and column_page == 1:
        therapies = {}
        for therapy in therapy_qs:
            therapies.setdefault(therapy.therapy_class_id, []).append(therapy)
        groups = group_columns(class_list, therapies)
        indications = published.filter(condition__in=[c.pk for c in conditions]).only(*fields)
        return {**table(groups, conditions, indications), "paging": None}

    # Too large for one table: a page of therapies, and the conditions they are used for.
    if column_page > paginator.num_pages:
        raise Http404("There is no such page of therapies.")
    page = paginator.page(column_page)
    therapies = {}
    for therapy in page.object_list:
        therapies.setdefault(therapy.therapy_class_id, []).append(therapy)
    groups = group_columns(class_list, therapies, own_columns=False)
    shown_classes = [group.therapy_class.pk for group in groups]
    uses = published.filter(
        Q(therapy__in=[t.pk for agents in therapies.values() for t in agents])
        | Q(therapy_class__in=shown_classes)
    )
    if categories:
        uses = uses.filter(condition__category__in=categories)
    uses = list(uses.only(*fields))
    used = {u.condition_id for u in uses}
    rows = list(
        Condition.objects.published()
        .filter(Q(pk__in=used) | Q(children__in=used))
        .distinct()
        .only("slug", "name", "category", "parent_id")
    )
    return {**table(groups, rows, uses), "paging": page}


class MatrixView(TemplateView):
    """`/matrix/`: the table, filtered by class and condition category; bad values are 400s
    with the form errors shown at their fields (and no table), a bad page of therapies a 400
    saying so."""

    template_name = "catalog/matrix.html"

    def get(self, request, *args, **kwargs):
        form, page_form = MatrixForm(request.GET), ColumnPageForm(request.GET)
        matrix = None
        if form.is_valid() & page_form.is_valid():  # both checked: each says what is wrong
            page = page_form.cleaned_data.get("columns") or 1
            data = form.cleaned_data
            matrix = build(data["therapy_class"], data["category"], column_page=page)
        context = self.get_context_data(
            matrix_filter={"form": form},
            page_errors=page_form.errors.get("columns", []),
            matrix=matrix,
            breadcrumbs=[("Home", "/"), ("Matrix", reverse("catalog:matrix"))],
            **kwargs,
        )
        return self.render_to_response(context, status=200 if matrix is not None else 400)
