"""Oscar's class loader with Xiangpin's replacements for single Oscar classes
that no setting can swap (``OSCAR_DYNAMIC_CLASS_LOADER``), so the Oscar app
that owns them need not be forked."""
from django.utils.module_loading import import_string
from oscar.core.loading import default_class_loader

REPLACEMENTS = {
    ("partner.strategy", "Selector"): "shop.campaigns.strategy.Selector",
}


def class_loader(module_label, classnames, module_prefix):
    classes = default_class_loader(module_label, classnames, module_prefix)
    return [
        import_string(REPLACEMENTS[(module_label, name)]) if (module_label, name) in REPLACEMENTS else cls
        for name, cls in zip(classnames, classes)
    ]
