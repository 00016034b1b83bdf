"""Public pages. Thin: querysets live on the models, filtering in filters.py."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.utils.decorators import method_decorator
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
    indication_visible,
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
        conditions = Condition.objects.published().filter(parent=None).for_display()
        return super().get_context_data(
            classes=TherapyClass.objects.published(),
            roles=ModifierRole.objects.all(),
            categories=[
                (label, [c for c in conditions if c.category == value])
                for value, label in ConditionCategory.choices
            ],
            **kwargs,
        )


class PublicDetailView(DetailView):
    """A detail page: published records only, unless this is a staff preview."""

    public = True

    def get_queryset(self):
        queryset = self.model.objects.for_display(public=self.public)
        return queryset.published() if self.public else queryset

    def indications(self):
        return Indication.objects.for_display().filter(indication_visible() if self.public else Q())

    def get_context_data(self, **kwargs):
        return super().get_context_data(preview=not self.public, **kwargs)


class TherapyListView(FilteredListView):
    filterset_class = filters.TherapyFilter
    queryset = Therapy.objects.published().for_display()
    template_name = "catalog/therapy_list.html"


class TherapyDetailView(PublicDetailView):
    model = Therapy
    template_name = "catalog/therapy_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            class_indications=self.indications().filter(therapy_class=self.object.therapy_class_id),
            **kwargs,
        )


class TherapyClassListView(FilteredListView):
    filterset_class = filters.TherapyClassFilter
    queryset = TherapyClass.objects.published().for_display()
    template_name = "catalog/class_list.html"


class TherapyClassDetailView(PublicDetailView):
    model = TherapyClass
    template_name = "catalog/class_detail.html"

    def get_context_data(self, **kwargs):
        therapies = Therapy.objects.for_display().filter(therapy_class=self.object)
        return super().get_context_data(
            therapies=therapies.published() if self.public else therapies,
            indications=self.indications().filter(therapy_class=self.object),
            **kwargs,
        )


class ConditionListView(FilteredListView):
    filterset_class = filters.ConditionFilter
    queryset = Condition.objects.published().for_display()
    template_name = "catalog/condition_list.html"


class ConditionDetailView(PublicDetailView):
    model = Condition
    template_name = "catalog/condition_detail.html"

    def get_context_data(self, **kwargs):
        indications = self.indications().filter(
            condition__in=Condition.objects.matching([self.object])
        )
        return super().get_context_data(
            agent_indications=[i for i in indications if i.therapy_id],
            class_indications=[i for i in indications if i.therapy_class_id],
            **kwargs,
        )


class PreviewMixin:
    """Staff see drafts exactly as the public will, before publishing."""

    public = False

    @method_decorator(staff_member_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


class TherapyPreview(PreviewMixin, TherapyDetailView):
    pass


class TherapyClassPreview(PreviewMixin, TherapyClassDetailView):
    pass


class ConditionPreview(PreviewMixin, ConditionDetailView):
    pass


class GlossaryView(FilteredListView):
    filterset_class = filters.GlossaryFilter
    queryset = GlossaryTerm.objects.prefetch_related("sources")
    template_name = "catalog/glossary.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            roles=ModifierRole.objects.prefetch_related("sources"), **kwargs
        )
