"""Competency frameworks: new versions, publishing, editing a competency."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, ValidationFailed

from ..choices import (
    FrameworkStatus,
)
from ..models import (
    BehaviouralAnchor,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
)
from .guards import _require_hr_admin

# --- competency model -------------------------------------------------------------------------


def framework_is_rated(framework: Framework) -> bool:
    return Evidence.objects.filter(competency__framework=framework).exists()


@transaction.atomic
def framework_new_version(*, framework: Framework, actor) -> Framework:
    """Copy a framework (competencies, tree, anchors) into a new draft version."""
    _require_hr_admin(actor)
    existing = Framework.objects.filter(code=framework.code, status=FrameworkStatus.DRAFT).first()
    if existing is not None:
        return existing
    latest = Framework.objects.filter(code=framework.code).order_by("-version").first()
    new = Framework.objects.create(
        code=framework.code,
        version=latest.version + 1,
        name_zh=framework.name_zh,
        name_en=framework.name_en,
        description_zh=framework.description_zh,
        description_en=framework.description_en,
        scale=framework.scale,
    )
    mapping: dict[int, Competency] = {}
    old = list(framework.competencies.order_by("parent_id", "order", "id"))
    for competency in old:
        mapping[competency.pk] = Competency.objects.create(
            framework=new,
            code=competency.code,
            name_zh=competency.name_zh,
            name_en=competency.name_en,
            description_zh=competency.description_zh,
            description_en=competency.description_en,
            order=competency.order,
        )
    for competency in old:
        if competency.parent_id:
            clone = mapping[competency.pk]
            clone.parent = mapping[competency.parent_id]
            clone.save(update_fields=["parent"])
    BehaviouralAnchor.objects.bulk_create(
        BehaviouralAnchor(
            competency=mapping[a.competency_id], level=a.level, text_zh=a.text_zh, text_en=a.text_en
        )
        for a in BehaviouralAnchor.objects.filter(competency__framework=framework)
    )
    return new


@transaction.atomic
def framework_publish(*, framework: Framework, actor) -> Framework:
    """Publish a draft; the previous published version is superseded and profiles move over
    (requirements re-pointed by competency code)."""
    _require_hr_admin(actor)
    if framework.status != FrameworkStatus.DRAFT:
        raise Conflict(_("Only a draft framework can be published."))
    previous = Framework.objects.filter(
        code=framework.code, status=FrameworkStatus.PUBLISHED
    ).first()
    if previous is not None:
        previous.status = FrameworkStatus.SUPERSEDED
        previous.save(update_fields=["status"])
        by_code = {c.code: c for c in framework.competencies.all()}
        for requirement in ProfileRequirement.objects.filter(
            profile__framework=previous
        ).select_related("competency"):
            target = by_code.get(requirement.competency.code)
            if target is None:
                requirement.delete()
            else:
                requirement.competency = target
                requirement.save(update_fields=["competency"])
        PositionProfile.objects.filter(framework=previous).update(framework=framework)
    framework.status = FrameworkStatus.PUBLISHED
    framework.published_at = timezone.now()
    framework.save(update_fields=["status", "published_at"])
    return framework


@transaction.atomic
def competency_update(*, competency: Competency, actor, **fields) -> Competency:
    """Edit a competency's texts; a framework somebody was rated against is never edited in
    place — the change goes into a new draft version, which is returned."""
    _require_hr_admin(actor)
    allowed = {"name_zh", "name_en", "description_zh", "description_en", "order"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."),
            errors={f: [_("This field cannot be changed here.")] for f in sorted(unknown)},
        )
    target = competency
    if competency.framework.status != FrameworkStatus.DRAFT and (
        competency.framework.status == FrameworkStatus.SUPERSEDED
        or framework_is_rated(competency.framework)
    ):
        draft = framework_new_version(framework=competency.framework, actor=actor)
        target = draft.competencies.get(code=competency.code)
    for name, value in fields.items():
        setattr(target, name, value)
    target.save()
    return target
