from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from vaxelstat.accounts.models import MODULES, User
from vaxelstat.orgs.models import (
    PLATFORMS,
    CollectionPoint,
    MeasuredObject,
    Organization,
    platform_of,
)


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-post"), max_length=254)
    password = forms.CharField(label=_("Lösenord"), strip=False, widget=forms.PasswordInput)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Ytterligare verifikation krävs"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-post"), max_length=254)


class NewPasswordForm(SetPasswordForm):
    """Choose a password twice, checked by the project's validators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Lösenord")
        self.fields["new_password2"].label = _("Bekräfta lösenord")
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()
        for field in ("new_password1", "new_password2"):
            self.fields[field].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password1"].widget.attrs["data-strength"] = "meter"


class ChangePasswordForm(PasswordChangeForm, NewPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Nuvarande lösenord")


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["start_page", "language"]
        labels = {"start_page": _("Välj startsida"), "language": _("Språk")}


class TwoFactorForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["two_factor"]
        labels = {"two_factor": _("Kräv tvåfaktorautentisering")}


class UserForm(forms.ModelForm):
    """Administration: a user of the organization, and what the user may see."""

    send_activation = forms.BooleanField(
        label=_("Skicka initieringsfrågan"), required=False, initial=True
    )
    platforms = forms.MultipleChoiceField(
        label=_("Synliga moduler"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Statistiken för organisationens plattformar som kontot ska ha tillgång till."),
    )
    modules = forms.MultipleChoiceField(
        label=_("Menyval"),
        choices=MODULES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    # The seed's order: E-post, Namn, Skicka initieringsfrågan, Administratör, Synliga moduler.
    field_order = [
        "email",
        "name",
        "send_activation",
        "is_org_admin",
        "platforms",
        "modules",
        "sees_all",
        "visible_objects",
        "visible_points",
    ]

    class Meta:
        model = User
        fields = [
            "email",
            "name",
            "is_org_admin",
            "modules",
            "sees_all",
            "visible_objects",
            "visible_points",
        ]
        labels = {
            "email": _("E-post"),
            "name": _("Namn"),
            "is_org_admin": _("Administratör"),
            "sees_all": _("Visa allt aktiverat"),
            "visible_objects": _("Mätobjekt"),
            "visible_points": _("Insamlingspunkter"),
        }
        widgets = {
            "visible_objects": forms.CheckboxSelectMultiple,
            "visible_points": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        objects = self.fields["visible_objects"]
        points = self.fields["visible_points"]
        assert isinstance(objects, forms.ModelMultipleChoiceField)
        assert isinstance(points, forms.ModelMultipleChoiceField)
        # Only this organization's objects and points can be granted.
        objects.queryset = MeasuredObject.objects.filter(organization=organization)
        points.queryset = CollectionPoint.objects.filter(organization=organization)
        objects.required = points.required = False
        if self.instance.pk:
            del self.fields["send_activation"]
        else:
            self.fields["modules"].initial = [key for key, _ in MODULES]
        # The organization's platforms (every one while it has no collection point).
        present = {platform_of(f) for f in points.queryset.values_list("format", flat=True)}
        self.platform_keys = [key for key in PLATFORMS if key in present] or list(PLATFORMS)
        platforms = self.fields["platforms"]
        assert isinstance(platforms, forms.MultipleChoiceField)
        platforms.choices = [(key, PLATFORMS[key][0]) for key in self.platform_keys]
        had = self.instance.platforms
        platforms.initial = self.platform_keys if had is None else had

    def save(self, commit: bool = True) -> User:
        """With every module ticked the user has every one, those to come too (None)."""
        ticked = self.cleaned_data.get("platforms", [])
        self.instance.platforms = None if set(ticked) >= set(self.platform_keys) else ticked
        user: User = super().save(commit)
        return user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(email=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Adressen används redan av ett annat konto."))
        return email


class RetentionForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["retention_months"]
        labels = {"retention_months": _("Ta bort samtal äldre än (månader)")}
        help_texts = {"retention_months": _("Tomt: ingen gallring.")}


class OrganizationSecurityForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["require_two_factor"]
        labels = {"require_two_factor": _("Kräv tvåfaktorautentisering för alla användare")}


# How many pause reasons an admin may name.
MOST_PAUSE_NAMES = 100


class OrganizationServiceForm(forms.ModelForm):
    """Servicenivå och larm: what counts as answered in time, the target, who gets the larm."""

    alerts = forms.CharField(
        label=_("Larm till (flera adresser med kommatecken emellan; tomt: inga larm)"),
        required=False,
    )
    pauses = forms.CharField(
        label=_("Pausorsakernas namn (en per rad: orsaken som växeln skriver = namnet)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "1 = Lunch"}),
    )

    class Meta:
        model = Organization
        fields = [
            "service_level_seconds",
            "short_abandon_seconds",
            "service_level_target",
            "alert_min_calls",
            "callback_hours",
        ]
        labels = {
            "service_level_seconds": _("Servicenivå: besvarat inom (sekunder)"),
            "short_abandon_seconds": _("Korta avbrott räknas inte (sekunder)"),
            "service_level_target": _("Mål för servicenivån (%)"),
            "alert_min_calls": _("Larma först efter så här många samtal i dag"),
            "callback_hours": _(
                "Återuppringning: en förlorad uppringare räknas som nådd inom (timmar, högst 168)"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alerts"].initial = ", ".join(self.instance.alert_emails)
        self.fields["pauses"].initial = "\n".join(
            f"{code} = {name}" for code, name in self.instance.pause_reason_names.items()
        )

    def clean_alerts(self) -> list[str]:
        from vaxelstat.exports.views import addresses

        text = self.cleaned_data["alerts"]
        if not text.strip():
            return []
        found, error = addresses(text)
        if error:
            raise forms.ValidationError(error)
        return found

    def clean_pauses(self) -> dict[str, str]:
        """Lines of `reason = name`; at most MOST_PAUSE_NAMES, a reason of at most 64
        characters and a name of at most 100 (the PBX's reason field is short)."""
        names: dict[str, str] = {}
        lines = [line for line in self.cleaned_data["pauses"].splitlines() if line.strip()]
        if len(lines) > MOST_PAUSE_NAMES:
            raise forms.ValidationError(
                _("Högst %(most)s pausorsaker.") % {"most": MOST_PAUSE_NAMES}
            )
        for number, line in enumerate(lines, 1):
            code, equals, name = line.partition("=")
            code, name = code.strip(), name.strip()
            if not equals or not code or not name:
                raise forms.ValidationError(
                    _("Rad %(line)s: skriv orsaken, ett likhetstecken och namnet (1 = Lunch).")
                    % {"line": number}
                )
            if len(code) > 64 or len(name) > 100:
                raise forms.ValidationError(
                    _("Rad %(line)s: orsaken högst 64 tecken, namnet högst 100.") % {"line": number}
                )
            names[code] = name
        return names

    def save(self, commit: bool = True) -> Organization:
        org: Organization = super().save(commit=False)
        org.alert_emails = self.cleaned_data["alerts"]
        org.pause_reason_names = self.cleaned_data["pauses"]
        if commit:
            org.save()
        return org
