from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Language

COMMON_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(z, z) for z in COMMON_ZONES])

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value not in available_timezones():
            raise forms.ValidationError(_("Unknown time zone."))
        return value
