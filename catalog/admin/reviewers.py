"""Reviewer profiles in the admin: the person a review names (full name, credential,
specialty), one per user who may record reviews. Administrators keep them; reviewers see theirs."""

from django.contrib import admin

from ..models import ReviewerProfile
from .history import HistoryAdmin

__all__ = ["ReviewerProfileAdmin"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(HistoryAdmin):
    list_display = ["full_name", "credential", "specialty", "user"]
    search_fields = ["full_name", "credential", "specialty", "user__username"]
    autocomplete_fields = ["user"]
    fieldsets = [
        ("As the public reads it", {"fields": ["full_name", "credential", "specialty"]}),
        ("Account", {"fields": ["user"], "description": "A user who may record reviews."}),
    ]
