"""How the change forms of content records read, top-down: what the record is (its name, class,
summary and description), then its inlines (sections, names, indications), then its sources,
then publication and review, and last the address (slug), prefilled from the name and tucked
away. Long text gets a text area sized for it. The template
templates/admin/catalog/top_down_change_form.html renders the fieldsets named in
`fieldsets_after_inlines` below the inlines; static/css/admin/forms.css keeps every change page
within a 1,280 px window and usable on a phone."""

from django import forms

__all__ = ["PUBLICATION", "SLUG", "SOURCES", "TopDownFormMixin", "top_down_fieldsets"]

SOURCES = "Sources"
PUBLICATION = "Publication and review"
SLUG = "Address (slug)"

# Text areas sized for the text they hold (the summary: up to 400 characters).
TEXT_AREAS = {
    "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
    "description": forms.Textarea(attrs={"rows": 10, "class": "vLargeTextField"}),
}


def top_down_fieldsets(
    *identity, publication=("status", "published_at", "go_live_at", "expire_at")
):
    """The fieldsets of a content record's change form: `identity` (the fields saying what the
    record is) first, then the sources, publication and review, and the collapsed slug. The
    hidden `loaded_version` (the version the editor opened: admin/history.py `VersionedForm`)
    must be among them, or a save over someone else's would not be refused."""
    return [
        (None, {"fields": [*identity, "loaded_version"]}),
        (SOURCES, {"fields": ["sources"]}),
        (
            PUBLICATION,
            {"fields": [*publication, "last_reviewed", "reviewer", "review_interval_days"]},
        ),
        (SLUG, {"fields": ["slug"], "classes": ("collapse",)}),
    ]


class TopDownFormMixin:
    """A ModelAdmin whose change form reads top-down (see the module docstring)."""

    change_form_template = "admin/catalog/top_down_change_form.html"
    fieldsets_after_inlines = (SOURCES, PUBLICATION, SLUG)
    text_areas = TEXT_AREAS

    class Media:
        css = {"all": ["css/admin/forms.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.text_areas:
            kwargs["widget"] = self.text_areas[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def render_change_form(self, request, context, *args, **kwargs):
        context["fieldsets_after_inlines"] = self.fieldsets_after_inlines
        return super().render_change_form(request, context, *args, **kwargs)
