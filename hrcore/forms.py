from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import Language
from .i18n import with_codes

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


class ContactChannelsForm(forms.Form):
    """The person's own contact channels (validated again by ``contact_channels_update``)."""

    email = forms.EmailField(label=_("E-mail"), required=False)
    mobile = forms.CharField(label=_("Mobile"), required=False, max_length=20)
    dingtalk_user_id = forms.CharField(label=_("DingTalk user id"), required=False, max_length=64)
    wecom_user_id = forms.CharField(label=_("WeCom user id"), required=False, max_length=64)
    feishu_open_id = forms.CharField(label=_("Feishu open id"), required=False, max_length=64)
    channel_order = forms.CharField(
        label=_("Channel order"),
        required=False,
        max_length=100,
    )
    quiet_hours_start = forms.TimeField(label=_("Quiet hours from"), required=False)
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        help_text=_("High and critical crises reach you during quiet hours anyway."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per request, in the reader's language; the channel codes one types stay codes.
        self.fields["channel_order"].help_text = with_codes(
            gettext(
                "Channels to try first, comma-separated (%(codes)s); empty for the default order."
            ),
            codes="inapp, email, dingtalk, wecom, feishu, sms, voice",
        )

    @classmethod
    def initial_of(cls, employee) -> dict:
        return {
            "email": employee.user.email,
            **{
                name: getattr(employee, name)
                for name in cls.base_fields
                if name != "email" and hasattr(employee, name)
            },
        }
