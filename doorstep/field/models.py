from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class PhraseEntry(models.Model):
    """A banned phrase or a rewording an admin adds to the seeds' lists (R23)."""

    class Kind(models.TextChoices):
        BANNED = "banned", _("服务禁语")
        REWORD = "reword", _("换种说法")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.BANNED)
    pattern = models.CharField(
        _("词句"),
        max_length=200,
        help_text=_("可用 [甲|乙] 表示任选其一，… 表示中间可有若干字，^ $ 表示整句"),
    )
    suggestion = models.CharField(_("建议说法"), max_length=200, blank=True)
    exceptions = models.JSONField(_("例外（合理用法）"), default=list, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pattern"]
        verbose_name = _("服务用语规则")
        verbose_name_plural = _("服务用语规则")

    def __str__(self) -> str:
        return self.pattern

    def as_rule(self) -> object:
        from doorstep.field.phrases import PhraseRule

        return PhraseRule(
            pattern=self.pattern,
            suggestion=self.suggestion or None,
            source=f"admin #{self.pk}",
            kind=self.kind,  # type: ignore[arg-type]
            exceptions=tuple(self.exceptions or ()),
        )

    def clean(self) -> None:
        try:
            self.as_rule()
        except ValueError as exc:
            raise ValidationError({"pattern": str(exc)}) from exc
