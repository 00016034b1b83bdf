"""The condition-by-therapy matrix (`/matrix/`): which therapies are used for which conditions,
agent-level or through their class. Filtered as the lists are (catalog/filters.py: classes typed
by name or slug, the condition category a short select). Five queries for the table while it
fits on a screen or two, and one looking up the typed classes; a large catalog's matrix comes a
page of therapies at a time (see `build`)."""

from dataclasses import dataclass, field

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.views.generic import TemplateView

from .filters import MULTI_HELP, CommaSeparatedSelectMultiple, RecordsForm, SlugMultipleFilter
from .models import Condition, ConditionCategory, Indication, Therapy, TherapyClass


class MatrixForm(RecordsForm):
    """The GET filters, with the lists' names, fields, syntax and errors: the class filter is the
    lists' typed records filter (one lookup for its values, an unknown one a 400 naming it)."""

    therapy_class = SlugMultipleFilter(
        queryset=TherapyClass.objects.published(), label="Class", noun="class"
    ).field
    columns = forms.IntegerField(
        min_value=1,
        required=False,
        widget=forms.HiddenInput,
        label="Page of therapies",
        error_messages={"invalid": "The page of therapies must be a whole number from 1."},
    )
    category = forms.MultipleChoiceField(
        choices=ConditionCategory.choices,
        required=False,
        widget=CommaSeparatedSelectMultiple,
        label="Condition category",
        help_text=MULTI_HELP,
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
    def url(self):
        return (self.therapy or self.therapy_class).get_absolute_url()


@dataclass
class ClassGroup:
    therapy_class: TherapyClass
    columns: list = field(default_factory=list)


@dataclass
class Row:
    condition: Condition
    cells: list
    parent: Condition | None = None


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
    groups, columns = [], []
    for therapy_class in class_list:
        agents = therapies.get(therapy_class.pk)
        if not agents and not own_columns:
            continue
        group = ClassGroup(therapy_class)
        group.columns = (
            [Column(therapy_class, t) for t in agents] if agents else [Column(therapy_class)]
        )
        groups.append(group)
        columns.extend(group.columns)
    return groups, columns


def table(groups, columns, conditions, indications):
    """The rows, by category, sub-conditions under their parent, one cell per column."""
    agent_uses, class_uses = {}, {}
    for indication in indications:
        if indication.therapy_id:
            agent_uses[indication.therapy_id, indication.condition_id] = indication
        else:
            class_uses[indication.therapy_class_id, indication.condition_id] = indication

    def cells(condition):
        result = []
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
            result.append(uses)
        return result

    by_id = {c.pk: c for c in conditions}
    children = {}
    for condition in conditions:
        if condition.parent_id in by_id:
            children.setdefault(condition.parent_id, []).append(condition)
    sections = {value: Category(value, label) for value, label in ConditionCategory.choices}
    for condition in conditions:
        if condition.parent_id in by_id:
            continue  # listed under its parent
        rows = sections[condition.category].rows
        rows.append(Row(condition, cells(condition)))
        for child in children.get(condition.pk, []):
            rows.append(Row(child, cells(child), parent=condition))
    return {
        "groups": groups,
        "columns": columns,
        "sections": [s for s in sections.values() if s.rows],
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
        groups, columns = group_columns(class_list, therapies)
        indications = published.filter(condition__in=[c.pk for c in conditions]).only(*fields)
        return {**table(groups, columns, conditions, indications), "paging": None}

    # Too large for one table: a page of therapies, and the conditions they are used for.
    if column_page > paginator.num_pages:
        raise Http404("There is no such page of therapies.")
    page = paginator.page(column_page)
    therapies = {}
    for therapy in page.object_list:
        therapies.setdefault(therapy.therapy_class_id, []).append(therapy)
    groups, columns = group_columns(class_list, therapies, own_columns=False)
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
    return {**table(groups, columns, rows, uses), "paging": page}


class MatrixView(TemplateView):
    """`/matrix/`: the table, filtered by class and condition category; bad values are 400s
    with the form errors shown at their fields (and no table)."""

    template_name = "catalog/matrix.html"

    def get(self, request, *args, **kwargs):
        form = MatrixForm(request.GET)
        matrix = None
        if form.is_valid():
            data = form.cleaned_data
            page = data.get("columns") or 1
            matrix = build(data["therapy_class"], data["category"], column_page=page)
        context = self.get_context_data(matrix_filter={"form": form}, matrix=matrix, **kwargs)
        return self.render_to_response(context, status=200 if matrix is not None else 400)
