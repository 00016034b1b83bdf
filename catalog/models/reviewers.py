"""Medical reviewers: the people whose review a record's page names ("Medically reviewed by Jane
Doe, MD, rheumatology"). A profile belongs to a user who holds a review permission; the login
name is never shown publicly."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from .base import REVIEW, permission_codename
from .rows import RowsQuerySet

__all__ = ["ReviewerProfile"]


class ReviewerQuerySet(RowsQuerySet):
    # What a record's row says of its reviewer (catalog/models/rows.py): never the login.
    row_fields = {"full_name": "full_name", "credential": "credential", "specialty": "specialty"}


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer_profile"
    )
    full_name = models.CharField(max_length=120, help_text="As shown to the public: “Jane Doe”.")
    credential = models.CharField(
        max_length=40, help_text="Professional credential: MD, PharmD, RN, PhD …"
    )
    specialty = models.CharField(
        max_length=80, blank=True, help_text="Optional, e.g. “rheumatology”, “oncology”."
    )

    history = HistoricalRecords()
    objects = ReviewerQuerySet.as_manager()

    class Meta:
        ordering = ["full_name"]
        verbose_name = "reviewer profile"

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        """ "Jane Doe, MD, rheumatology": what a page says of the reviewer."""
        return ", ".join(part for part in (self.full_name, self.credential, self.specialty) if part)

    def clean(self):
        super().clean()
        if self.user_id and not may_review(self.user):
            raise ValidationError(
                {
                    "user": "Only a user who may record medical reviews (the Reviewers group or a "
                    "review permission) can have a reviewer profile."
                }
            )


def may_review(user):
    """Whether `user` holds a review permission on any reviewed model."""
    from .registry import reviewed_models

    return user.is_active and any(
        user.has_perm(f"{m._meta.app_label}.{permission_codename(REVIEW, m._meta.model_name)}")
        for m in reviewed_models()
    )
