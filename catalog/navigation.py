"""The site's main navigation, the current section marked (templates: `nav_links(request)`).

One mapping, here: each section's link and the pages that belong to it, by URL name. On the
section's own page its link is `aria-current="page"`; on a page inside it (a therapy's page
and its "What changed" page are in Therapies, a class's in Classes, a condition's in
Conditions) `aria-current="true"`.
Decided from `request.resolver_match`, so an error page (no match) marks nothing."""

from django.urls import reverse

# (label, the section's page, the other pages that belong to it), in the navigation's order.
SECTIONS = [
    (
        "Therapies",
        "catalog:therapy-list",
        {"catalog:therapy-detail", "catalog:therapy-preview", "catalog:therapy-changes"},
    ),
    (
        "Classes",
        "catalog:class-list",
        {"catalog:class-detail", "catalog:class-preview", "catalog:class-changes"},
    ),
    (
        "Conditions",
        "catalog:condition-list",
        {"catalog:condition-detail", "catalog:condition-preview", "catalog:condition-changes"},
    ),
    ("Glossary", "catalog:glossary", set()),
    ("A\u2013Z", "catalog:a-z", set()),
    ("Matrix", "catalog:matrix", set()),
]


def current(view_name, page, members):
    """The link's aria-current value on the page named `view_name`, or None."""
    if view_name == page:
        return "page"
    return "true" if view_name in members else None


def links(request):
    """(label, URL, aria-current value or None) of each section, in order."""
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else None
    return [
        (label, reverse(page), current(view_name, page, members))
        for label, page, members in SECTIONS
    ]
