from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "doorstep.field"
    label = "field"
    verbose_name = "现场作业"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from doorstep.field import language
        from doorstep.field.models import PhraseEntry
        from doorstep.orders import hooks

        hooks.before_event(language.gate_r23)
        post_save.connect(language.clear_cache, sender=PhraseEntry, dispatch_uid="phrases-saved")
        post_delete.connect(
            language.clear_cache, sender=PhraseEntry, dispatch_uid="phrases-deleted"
        )
