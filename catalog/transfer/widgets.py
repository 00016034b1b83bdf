"""How a cell reads into a field and back: related records by their address (slug), lists of
sources by address, choices by their value or their label. A cell that names nothing known is a
ValueError, which the import shows against its row and column before anything is written."""

from import_export import widgets

from ..text import loose


def cell_text(value):
    """A cell as text, its paragraphs kept: spreadsheets give numbers and empty cells, CSV
    files strings (Windows line ends read as plain ones)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


def one_line(value):
    """A cell naming something (a name, an address, a choice): single spaces."""
    return " ".join(cell_text(value).split())


class AddressWidget(widgets.ForeignKeyWidget):
    """A related record by its address: "rituximab" for Rituximab."""

    def __init__(self, model, noun=None, **kwargs):
        super().__init__(model, field="slug", **kwargs)
        self.noun = noun or model._meta.verbose_name

    def clean(self, value, row=None, **kwargs):
        address = one_line(value)
        if not address:
            return None
        record = self.model._default_manager.filter(slug=address).first()
        if record is None:
            raise ValueError(f"no {self.noun} with the address “{address}”")
        return record

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class AddressesWidget(widgets.ManyToManyWidget):
    """Several records by their addresses, comma-separated: "drugscom-immunotherapy, fda-label"."""

    def __init__(self, model, noun=None, **kwargs):
        super().__init__(model, separator=",", field="slug", **kwargs)
        self.noun = noun or model._meta.verbose_name

    def clean(self, value, row=None, **kwargs):
        addresses = [a for a in (one_line(p) for p in cell_text(value).split(",")) if a]
        found = {r.slug: r for r in self.model._default_manager.filter(slug__in=addresses)}
        missing = [a for a in addresses if a not in found]
        if missing:
            listed = ", ".join(f"“{a}”" for a in missing)
            raise ValueError(f"no {self.noun} with the address {listed}")
        return [found[a] for a in dict.fromkeys(addresses)]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ", ".join(record.slug for record in value.all())


class ChoiceWidget(widgets.Widget):
    """One of a field's choices, written as its value ("brand") or its label ("Brand name"),
    case and spacing aside; exported as the value."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = loose(one_line(value))
        for key, label in self.choices.choices:
            if text in (loose(key), loose(str(label))):
                return key
        if not text and "" in self.choices.values:
            return ""
        allowed = ", ".join(key for key in self.choices.values if key)
        blank = " (or empty)" if "" in self.choices.values else ""
        raise ValueError(f"“{one_line(value)}” is not one of {allowed}{blank}")

    def render(self, value, obj=None, **kwargs):
        return value or ""
