"""Packages whose modules register themselves (catalog.models, catalog.admin): importing the
package imports every module in it, so a new model or admin module needs no line elsewhere."""

import importlib
import pkgutil


def import_submodules(package, namespace, last=()):
    """Import every module of `package` (its name and __path__ from the package's own
    namespace), alphabetically, those named in `last` at the end, and copy each module's
    `__all__` into `namespace`. Returns the names copied."""
    names = sorted(info.name for info in pkgutil.iter_modules(namespace["__path__"]))
    exported = []
    for name in [n for n in names if n not in last] + [n for n in last if n in names]:
        if name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{name}")
        for attribute in getattr(module, "__all__", ()):
            namespace[attribute] = getattr(module, attribute)
            exported.append(attribute)
    return exported
