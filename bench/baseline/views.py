"""The baseline's pages: Django's generic views over the querysets in querysets.py."""

from django.shortcuts import render
from django.views.generic import DetailView, ListView, TemplateView

from catalog.models import Condition, ConditionCategory, TherapyClass

from .filters import TherapyFilter
from .querysets import therapy_details, therapy_rows, top_conditions, uses_of

HOME_LIMIT = 24  # classes, and top-level conditions per category, as the site's home page
USES_LIMIT = 50  # the therapies a condition page lists, as the site's


class HomeView(TemplateView):
    template_name = "baseline/home.html"

    def get_context_data(self, **kwargs):
        conditions = top_conditions()
        return super().get_context_data(
            classes=TherapyClass.objects.published()[:HOME_LIMIT],
            categories=[
                (label, conditions.filter(category=value)[:HOME_LIMIT])
                for value, label in ConditionCategory.choices
            ],
            **kwargs,
        )


class TherapyListView(ListView):
    template_name = "baseline/therapy_list.html"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.filterset = TherapyFilter(request.GET, queryset=therapy_rows())
        if not self.filterset.is_valid():
            context = {"errors": self.filterset.errors}
            return render(request, "baseline/bad_request.html", context, status=400)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.filterset.qs


class TherapyDetailView(DetailView):
    template_name = "baseline/therapy_detail.html"
    context_object_name = "therapy"

    def get_queryset(self):
        return therapy_details()


class ConditionDetailView(DetailView):
    template_name = "baseline/condition_detail.html"
    context_object_name = "condition"

    def get_queryset(self):
        return Condition.objects.published().select_related("parent")

    def get_context_data(self, **kwargs):
        uses = uses_of(self.object).select_related("condition", "therapy_class")
        therapies = uses.filter(therapy__isnull=False).select_related("therapy__therapy_class")
        return super().get_context_data(
            class_uses=uses.filter(therapy_class__isnull=False),
            therapy_uses=therapies.order_by("therapy__name", "condition__name")[:USES_LIMIT],
            **kwargs,
        )
