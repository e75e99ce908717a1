import copy

from rest_framework import serializers

from hrcore.models import ApiToken, Employee, Notification, OrgUnit, Position
from hrcore.selectors import is_hr_admin


class FieldsOnceMixin:
    """For a read-only ModelSerializer: its fields are worked out from the model once per class,
    and each instance gets a deep copy of them (as DRF does with declared fields). DRF otherwise
    introspects the model for every instance it renders — for a small answer such as a filed
    crisis with its tasks, most of the cost of the response. Each instance still gets fields of
    its own (bound to it), as in DRF. Only for serializers whose fields
    depend on nothing but their class (no fields built from the context or the instance).

    Also for a plain input ``Serializer`` of declared fields (the filing's): DRF deep-copies
    every declared field with its validators for each request; the copies here share the
    prototype's validators and error messages, which validation only reads."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return {name: _fresh(field) for name, field in prototype.items()}


def _fresh(field: serializers.Field) -> serializers.Field:
    """A new, unbound copy of a prototype field: a nested serializer deep-copied (it has its
    own fields); a field holding other fields (a list's child) made again from the arguments it
    was made with (what DRF's ``Field.__deepcopy__`` does, without deep-copying plain
    arguments); any other field a shallow copy of the prototype, which is never bound, so the
    copy starts as a new field would (binding sets the copy's own name, parent and source) —
    a third of the cost of making it again, for a response of a crisis with its tasks."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    if hasattr(field, "child") or hasattr(field, "child_relation"):
        return type(field)(*field._args, **field._kwargs)
    return copy.copy(field)


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "name_en",
            "kind",
            "function",
            "parent",
            "depth",
            "time_zone",
        ]


class PositionSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "code",
            "title",
            "title_zh",
            "title_en",
            "description_zh",
            "description_en",
            "grade",
            "is_managerial",
        ]


class EmployeeBriefSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """How a person appears inside other resources (task assignees, decision makers)."""

    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Employee
        fields = ["id", "username", "name", "name_zh", "name_en"]


class EmployeeSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    position = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Employee
        fields = [
            "id",
            "username",
            "name",
            "name_zh",
            "name_en",
            "unit",
            "position",
            "manager",
            "grade",
            "time_zone",
            "phone",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_hr_admin(request.user):
            data.pop("phone", None)  # contact details are for HR admins only
        return data


class ApiTokenSerializer(serializers.ModelSerializer):
    """The calling token: its owner, scopes and expiry (never the key)."""

    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["prefix", "name", "user", "scopes", "created_at", "expires_at", "last_used_at"]


class NotificationSerializer(serializers.ModelSerializer):
    """A notification as structure (``kind``, ``params``: codes, ids, names in both scripts) and
    as text rendered in the request's language (``subject``, ``body``)."""

    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "params", "subject", "body", "link", "created_at", "read_at"]
        read_only_fields = fields

    def get_subject(self, obj: Notification) -> str:
        return obj.rendered().subject

    def get_body(self, obj: Notification) -> str:
        return obj.rendered().body
