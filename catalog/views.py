"""Public pages. Thin: querysets live on the models, filtering in filters.py."""

from django.core.exceptions import BadRequest
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from . import filters
from .models import (
    Condition,
    ConditionCategory,
    GlossaryTerm,
    Indication,
    ModifierRole,
    Therapy,
    TherapyClass,
)


class FilteredListView(FilterView):
    """A filterable, paginated list. Bad filter values or page numbers answer 400."""

    paginate_by = 20
    strict = True

    def paginate_queryset(self, queryset, page_size):
        page = self.request.GET.get(self.page_kwarg, "1")
        if page != "last" and not page.isdigit():
            raise BadRequest(f"“{page[:50]}” is not a page number.")
        return super().paginate_queryset(queryset, page_size)

    def render_to_response(self, context, **response_kwargs):
        if self.filterset.is_bound and not self.filterset.is_valid():
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)


class HomeView(TemplateView):
    template_name = "catalog/home.html"

    def get_context_data(self, **kwargs):
        conditions = Condition.objects.filter(parent=None).prefetch_related("children")
        return super().get_context_data(
            classes=TherapyClass.objects.all(),
            roles=ModifierRole.objects.all(),
            categories=[
                (label, [c for c in conditions if c.category == value])
                for value, label in ConditionCategory.choices
            ],
            **kwargs,
        )


class TherapyListView(FilteredListView):
    filterset_class = filters.TherapyFilter
    queryset = Therapy.objects.for_display()
    template_name = "catalog/therapy_list.html"


class TherapyDetailView(DetailView):
    queryset = Therapy.objects.for_display()
    template_name = "catalog/therapy_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            class_indications=Indication.objects.for_display().filter(
                therapy_class=self.object.therapy_class_id
            ),
            **kwargs,
        )


class TherapyClassListView(FilteredListView):
    filterset_class = filters.TherapyClassFilter
    queryset = TherapyClass.objects.for_display()
    template_name = "catalog/class_list.html"


class TherapyClassDetailView(DetailView):
    queryset = TherapyClass.objects.for_display()
    template_name = "catalog/class_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            therapies=Therapy.objects.for_display().filter(therapy_class=self.object),
            indications=Indication.objects.for_display().filter(therapy_class=self.object),
            **kwargs,
        )


class ConditionListView(FilteredListView):
    filterset_class = filters.ConditionFilter
    queryset = Condition.objects.for_display()
    template_name = "catalog/condition_list.html"


class ConditionDetailView(DetailView):
    queryset = Condition.objects.for_display()
    template_name = "catalog/condition_detail.html"

    def get_context_data(self, **kwargs):
        indications = Indication.objects.for_display().filter(
            condition__in=Condition.objects.matching([self.object])
        )
        return super().get_context_data(
            agent_indications=[i for i in indications if i.therapy_id],
            class_indications=[i for i in indications if i.therapy_class_id],
            **kwargs,
        )


class GlossaryView(FilteredListView):
    filterset_class = filters.GlossaryFilter
    queryset = GlossaryTerm.objects.prefetch_related("sources")
    template_name = "catalog/glossary.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            roles=ModifierRole.objects.prefetch_related("sources"), **kwargs
        )
