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


class LanguageSelect(forms.Select):
    """Each language is named in itself ("简体中文", "English") and says so (``lang``)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


class ZoneSelect(forms.Select):
    """Time-zone names are identifiers ("Asia/Shanghai"), not text to translate."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["attrs"]["translate"] = "no"
        return option


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, widget=LanguageSelect
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(z, z) for z in COMMON_ZONES], widget=ZoneSelect
    )

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value not in available_timezones():
            raise forms.ValidationError(_("Unknown time zone."))
        return value
