"""The overview pages: home (classes and conditions by category) and the A-Z index of every
therapy, class and condition by each of its names (read from the search index)."""

import string
import unicodedata

from django.core.exceptions import BadRequest
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from ..models import Condition, ConditionCategory, ModifierRole, SearchTerm, Therapy, TherapyClass
from ..models.prepared import fixed_rows
from ..paging import Paginator, whole_number
from .lists import TherapyClassListView

HOME_LIMIT = 24  # classes, and top-level conditions per category, listed on the home page


class HomeView(TemplateView):
    """The overview: classes and conditions by category, the first HOME_LIMIT of each with a
    link to the full list when there are more (a large catalog has thousands)."""

    template_name = "catalog/home.html"

    def get_context_data(self, **kwargs):
        # Each list's SQL is made once per process (`fixed_rows`): the same query every time.
        def first(key, build):
            rows = fixed_rows(key, lambda: build()[: HOME_LIMIT + 1])
            return rows[:HOME_LIMIT], len(rows) > HOME_LIMIT

        classes, more_classes = first(
            "home-classes",
            lambda: TherapyClass.objects.published().rows(*TherapyClassListView.row_keys),
        )
        top = Condition.objects.published().filter(parent=None)
        categories = []
        for value, label in ConditionCategory.choices:
            conditions, more = first(
                ("home-conditions", value),
                lambda value=value: top.filter(category=value).rows(
                    "slug", "name", "url", "children"
                ),
            )
            categories.append((label, conditions, value if more else None))
        return super().get_context_data(
            classes=classes,
            more_classes=more_classes,
            roles=ModifierRole.objects.all(),
            categories=categories,
            **kwargs,
        )


def initial(name):
    """The A-Z letter a name is filed under: its first letter without accents, else "#"."""
    first = unicodedata.normalize("NFKD", name.strip()[:1]).encode("ascii", "ignore").decode()
    first = first.upper()
    return first if first in string.ascii_uppercase else "#"


def sort_key(name):
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return (text.casefold(), name)


AZ_ONE_PAGE_LIMIT = 2000  # names; beyond, the index shows one letter per page
AZ_PAGE_SIZE = 500
AZ_LETTERS = [*string.ascii_uppercase, "#"]
AZ_MODELS = (Therapy, TherapyClass, Condition)  # the records the index lists


class AtoZView(TemplateView):
    """Published therapies, classes and conditions A to Z, with their other names as "see"
    entries, all read from the search index (`SearchTerm`: every name of every record).

    Up to AZ_ONE_PAGE_LIMIT names, the whole index on one page (two queries). Beyond, one
    letter per page (`?letter=B`, `#` for names that start with a digit or another script),
    AZ_PAGE_SIZE names to a page in the order of their normalised names (an index range per
    letter)."""

    template_name = "catalog/a_z.html"

    def chosen_letter(self):
        letter = self.request.GET.get("letter", "").strip().upper()
        if letter and letter not in AZ_LETTERS:
            raise BadRequest("Choose a letter from A to Z, or # for other names.")
        return letter

    @staticmethod
    def names():
        return SearchTerm.objects.public(*AZ_MODELS)

    @staticmethod
    def entry(term):
        return {
            "name": term.name,
            "target": term.record,
            "kind": term.kind,
            "see": bool(term.relation),
        }

    def one_letter(self, letter):
        names = self.names()
        if letter == "#":
            names = names.exclude(key__regex=r"^[a-z]")
        else:
            low = letter.lower()
            names = names.filter(key__gte=low, key__lt=chr(ord(low) + 1))
        number = whole_number(self.request.GET.get("page", "1"))
        if not number:
            raise BadRequest("The page must be a whole number from 1.")
        version = self.request.catalog_version.stamp
        paginator = Paginator(names.order_by("key", "pk"), AZ_PAGE_SIZE, version=version)
        if number > 1 and number > paginator.num_pages:
            raise Http404("There is no such page.")
        page = paginator.page(number)
        entries = [self.entry(term) for term in page.object_list]
        anchor = letter if letter != "#" else "other"
        return {
            "by_letter": True,
            "letter": letter,
            "letters": [(c, c if c != "#" else "other", True) for c in AZ_LETTERS],
            "groups": [(letter, anchor, entries)] if entries else [],
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        }

    def get_context_data(self, **kwargs):
        kwargs["breadcrumbs"] = [
            ("Home", reverse("catalog:home")),
            ("A\u2013Z index", self.request.path),
        ]
        letter = self.chosen_letter()
        names = SearchTerm.objects.of(*AZ_MODELS)
        if names[AZ_ONE_PAGE_LIMIT : AZ_ONE_PAGE_LIMIT + 1].exists():
            return super().get_context_data(**self.one_letter(letter or "A"), **kwargs)
        groups = {}
        entries = (self.entry(term) for term in self.names())
        for entry in sorted(entries, key=lambda e: sort_key(e["name"])):
            groups.setdefault(initial(entry["name"]), []).append(entry)
        letters = list(string.ascii_uppercase) + (["#"] if "#" in groups else [])
        return super().get_context_data(
            letters=[
                (letter, letter if letter != "#" else "other", letter in groups)
                for letter in letters
            ],
            groups=[
                (letter, letter if letter != "#" else "other", groups[letter])
                for letter in letters
                if letter in groups
            ],
            **kwargs,
        )
