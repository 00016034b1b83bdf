"""The condition-by-therapy matrix (`/matrix/`): which therapies are used for which conditions,
agent-level or through their class. Four queries for the table, whatever its size."""

from dataclasses import dataclass, field

from django import forms
from django.views.generic import TemplateView

from .filters import MULTI_HELP, CommaSeparatedSelectMultiple
from .models import Condition, ConditionCategory, Indication, Therapy, TherapyClass


class MatrixForm(forms.Form):
    """The GET filters; names and multi-value syntax as on the list pages."""

    therapy_class = forms.ModelMultipleChoiceField(
        queryset=TherapyClass.objects.published(),
        to_field_name="slug",
        required=False,
        widget=CommaSeparatedSelectMultiple,
        label="Class",
        help_text=MULTI_HELP,
    )
    category = forms.MultipleChoiceField(
        choices=ConditionCategory.choices,
        required=False,
        widget=CommaSeparatedSelectMultiple,
        label="Condition category",
        help_text=MULTI_HELP,
    )


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


def build(classes=None, categories=None):
    """The matrix for the given classes and condition categories (all when empty)."""
    class_qs = TherapyClass.objects.published().only("slug", "name")
    if classes:
        class_qs = class_qs.filter(pk__in=[c.pk for c in classes])
    class_list = list(class_qs)
    class_ids = [c.pk for c in class_list]

    therapies = {}
    for therapy in (
        Therapy.objects.published()
        .filter(therapy_class__in=class_ids)
        .only("slug", "name", "therapy_class_id")
    ):
        therapies.setdefault(therapy.therapy_class_id, []).append(therapy)

    groups = []
    columns = []
    for therapy_class in class_list:
        group = ClassGroup(therapy_class)
        agents = therapies.get(therapy_class.pk)
        group.columns = (
            [Column(therapy_class, t) for t in agents] if agents else [Column(therapy_class)]
        )
        groups.append(group)
        columns.extend(group.columns)

    condition_qs = Condition.objects.published().only("slug", "name", "category", "parent_id")
    if categories:
        condition_qs = condition_qs.filter(category__in=categories)
    conditions = list(condition_qs)

    agent_uses, class_uses = {}, {}
    indications = (
        Indication.objects.published()
        .filter(condition__in=[c.pk for c in conditions])
        .only("therapy_id", "therapy_class_id", "condition_id", "qualifier", "note")
        .order_by()
    )
    by_id = {c.pk: c for c in conditions}
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


class MatrixView(TemplateView):
    """`/matrix/`: the table, filtered by class and condition category; bad values are 400s
    with the form errors shown (and no table)."""

    template_name = "catalog/matrix.html"

    def get(self, request, *args, **kwargs):
        form = MatrixForm(request.GET)
        table = (
            build(form.cleaned_data["therapy_class"], form.cleaned_data["category"])
            if (form.is_valid())
            else None
        )
        context = self.get_context_data(matrix_filter={"form": form}, matrix=table, **kwargs)
        return self.render_to_response(context, status=200 if table is not None else 400)
