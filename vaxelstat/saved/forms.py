from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaxelstat.exports.content import INCLUDES
from vaxelstat.exports.views import addresses
from vaxelstat.reports.period import Period, PeriodError
from vaxelstat.saved.models import SavedReport


class SavedReportForm(forms.ModelForm):
    """Name, period and schedule of a saved report. The report, its objects, columns and rows
    come from the report page it was saved on."""

    include = forms.MultipleChoiceField(
        label=gettext_lazy("Ta med"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("table", gettext_lazy("Tabell")),
            ("chart", gettext_lazy("Diagram")),
            ("calls", gettext_lazy("Samtalsspecifikation")),
            ("info", gettext_lazy("Information om rapporten")),
        ],
    )
    addresses = forms.CharField(
        label=gettext_lazy("E-post (flera adresser med kommatecken emellan)"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "chef@example.se, team@example.se"}),
    )

    class Meta:
        model = SavedReport
        fields = ["name", "period", "first", "last", "window", "every", "format"]
        widgets = {
            "first": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "last": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "format": forms.RadioSelect,
            "window": forms.TextInput(attrs={"placeholder": "08:00-17:00", "size": 11}),
        }

    def __init__(self, *args: Any, owner: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner, self.organization = owner, organization
        # A saved report always has a period: no blank choice to begin with.
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = SavedReport.Period.choices
        if "include" in self.fields:
            self.fields["include"].initial = self.instance.include
            self.fields["addresses"].initial = ", ".join(self.instance.email_to)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        taken = SavedReport.objects.filter(
            owner=self.owner, organization=self.organization, name=name
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("Du har redan en sparad rapport med namnet %(name)s.") % {"name": name}
            )
        return name

    def clean_window(self) -> str:
        window: str = self.cleaned_data["window"].strip()
        if window:
            try:
                # The period's own reading of a window: the day itself does not matter.
                Period.parse(self.organization.timezone, "2026-01-01", "2026-01-01", window)
            except PeriodError:
                raise forms.ValidationError(
                    _("Tid på dygnet skrivs TT:MM-TT:MM, till exempel 08:00-17:00.")
                ) from None
        return window

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == SavedReport.Period.FIXED:
            first, last = data.get("first"), data.get("last")
            if not first or not last:
                self.add_error("first", _("En period med fasta datum behöver Från och Till."))
            elif first > last:
                self.add_error("last", _("Till kommer före Från."))
        text = data.get("addresses", "")
        if data.get("every") or text.strip():
            found, error = addresses(text)
            if error:
                self.add_error("addresses", error)
            data["email_to"] = found
        else:
            data["email_to"] = []
        if "include" in self.fields:
            data["include"] = [i for i in data.get("include", []) if i in INCLUDES] or ["table"]
        else:
            data["include"] = self.instance.include
        return data

    def save(self, commit: bool = True) -> SavedReport:
        saved: SavedReport = super().save(commit=False)
        saved.include = self.cleaned_data["include"]
        saved.email_to = self.cleaned_data["email_to"]
        if saved.period != SavedReport.Period.FIXED:
            saved.first = saved.last = None
        if "every" in self.changed_data or (saved.every and saved.next_send is None):
            saved.next_send = saved.next_after(timezone.now())
        if commit:
            saved.save()
        return saved


class NewSavedReportForm(SavedReportForm):
    """Spara rapporten, on the Basrapporter page: a name and how the period is kept."""

    include = None  # type: ignore[assignment]
    addresses = None  # type: ignore[assignment]

    class Meta(SavedReportForm.Meta):
        fields = ["name", "period", "first", "last", "window"]
