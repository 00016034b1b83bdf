"""API tokens in the admin: issue one (its key is shown once, on the page that follows), see
prefix, owner, expiry and whether it still works, revoke by deleting. Tokens are never edited.
Users who are not superusers issue, see and revoke only their own tokens (a token acts as its
owner: issuing one for someone else would be acting as them)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from knox.settings import knox_settings

from .models import APIToken


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "user", "created", "expiry", "state"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username"]
    fields = ["user"]
    readonly_fields = ["token_key", "created", "expiry", "state"]

    @admin.display(description="state")
    def state(self, token):
        if token.expiry and token.expiry <= timezone.now():
            return "expired"
        return token.refusal() or "valid"

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else ["token_key", "user", "created", "expiry", "state"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            users = get_user_model().objects.filter(is_active=True)
            if not request.user.is_superuser:
                users = users.filter(pk=request.user.pk)
            kwargs["queryset"] = users
            kwargs["initial"] = request.user.pk
            days = knox_settings.TOKEN_TTL.days
            kwargs["help_text"] = (
                f"The token acts as this user. It expires after {days} days, and when the "
                "user's password changes or the user is deactivated."
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never changed

    def save_model(self, request, obj, form, change):
        # The key exists only in this response: the database keeps its digest.
        obj.shown_once_key = obj.issue()

    def response_add(self, request, obj, post_url_continue=None):
        response = TemplateResponse(
            request,
            "admin/accounts/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "API token issued",
                "token": obj,
                "key": obj.shown_once_key,
                "header_prefix": knox_settings.AUTH_HEADER_PREFIX,
            },
        )
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
        return response
