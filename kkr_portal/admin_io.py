"""Export and import in the secretariats' admin, on django-import-export.

Export (``ExportAdminMixin``, a base of ``CouncilScopedAdmin``, so every admin has it): each change
list links to ``export/csv/`` and ``export/xlsx/`` with its own querystring, and offers two actions
for the selected rows. The rows are the change list's: the scoped ``get_queryset``, then the
search and the filters, and ``scoping.scope`` once more before a row is written. A forged filter
is a 400, another KKR's ids are not among the rows an action receives. Related rows are written by
name, choices by label, and a cell a spreadsheet would run as a formula is neutralised.

Import (``ImportAdminMixin``, on the people's and the appointments' admins): the library's two
steps — upload and preview (a dry run inside a transaction that is rolled back), then confirm —
with the file refused by size before it is read, Danish messages for a file that cannot be read,
every problem listed by row and column, and the confirmed import run with the same checks in one
transaction that is rolled back if any row fails. Rows go through ``ServiceResource`` subclasses
(``members/resources.py``, ``fora/resources.py``) that look rows up in the user's KKRs only and
write through the services.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import logging
import os
import re
import uuid
from decimal import Decimal
from typing import ClassVar

import tablib
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportMixin, ImportExportMixinBase, ImportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.mixins import BaseExportMixin
from import_export.tmp_storages import MediaStorage

from . import scoping
from .spreadsheet import neutralise

logger = logging.getLogger(__name__)

# A file larger than this is refused before it is read (a secretariat's list is a few hundred KB).
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# Columns never exported: secrets and derived keys.
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "auth.user": frozenset({"password"}),
    "mfa.authenticator": frozenset({"data"}),
    "members.person": frozenset({"search_name"}),
}


# --- file formats ---------------------------------------------------------------------------


class FileReadError(ValueError):
    """A file that cannot be read as a table; the message is for the person who uploaded it."""


def _blank(cell) -> bool:
    return cell in (None, "") or not str(cell).strip()


def _drop_blank_rows(dataset: tablib.Dataset) -> tablib.Dataset:
    """The table without empty rows, and without columns that have neither a heading nor a value
    (Excel writes ``Navn;E-mail;;`` when cells beside the table were once used)."""
    headers = list(dataset.headers or [])
    rows = [list(row) for row in dataset]
    keep = [
        index
        for index, header in enumerate(headers)
        if not _blank(header) or any(not _blank(row[index]) for row in rows)
    ]
    kept = tablib.Dataset(headers=[headers[index] for index in keep])
    for row in rows:
        if any(not _blank(cell) for cell in row):
            kept.append([row[index] for index in keep])
    if not kept.headers or not any(header not in (None, "") for header in kept.headers):
        raise FileReadError(_("Filen er tom."))
    if not len(kept):
        raise FileReadError(_("Filen har ingen rækker under overskriftsrækken."))
    return kept


class CSVFormat(base_formats.CSV):
    """CSV as Excel writes it in Denmark too: UTF-8 with or without a byte order mark, and a
    comma, semicolon or tab between the cells."""

    def create_dataset(self, in_stream, **kwargs):
        text = in_stream.decode(self.encoding or "utf-8-sig") if isinstance(in_stream, bytes) else in_stream
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise FileReadError(_("Filen er tom."))
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        headers = [cell.strip() for cell in rows[0]]
        dataset = tablib.Dataset(headers=headers)
        for number, row in enumerate(rows[1:], start=2):
            extra = [cell for cell in row[len(headers) :] if cell.strip()]
            if extra:
                raise FileReadError(
                    _("Række %(row)s har flere celler end overskriftsrækken har kolonner.") % {"row": number}
                )
            dataset.append((row + [""] * len(headers))[: len(headers)])
        return _drop_blank_rows(dataset)

    def export_data(self, dataset, **kwargs):
        # With a byte order mark, Excel reads the Danish letters as UTF-8 (as the Blå Bog export).
        return "\ufeff" + super().export_data(dataset, **kwargs)

    def get_title(self):
        return "csv"


class XLSXFormat(base_formats.XLSX):
    def create_dataset(self, in_stream):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        rows = book.active.iter_rows(values_only=True)
        headers = next(rows, None)
        if headers is None:
            raise FileReadError(_("Filen er tom."))
        headers = ["" if cell is None else str(cell).strip() for cell in headers]
        dataset = tablib.Dataset(headers=headers)
        for number, row in enumerate(rows, start=2):
            values = list(row)
            if any(cell not in (None, "") for cell in values[len(headers) :]):
                raise FileReadError(
                    _("Række %(row)s har flere celler end overskriftsrækken har kolonner.") % {"row": number}
                )
            dataset.append((values + [None] * len(headers))[: len(headers)])
        return _drop_blank_rows(dataset)


FORMATS = [CSVFormat, XLSXFormat]
EXPORT_FORMATS = {"csv": CSVFormat, "xlsx": XLSXFormat}


# --- cells ----------------------------------------------------------------------------------


def cell(value, *, native: bool):
    """One exported cell: Excel gets dates and numbers as such, CSV gets text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None) if native else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value if native else value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value if native else str(value)
    return neutralise(str(value))


class DisplayField(fields.Field):
    """A model field as a person reads it: a related row by name, a choice by its label."""

    def __init__(self, model_field, **kwargs):
        super().__init__(attribute=model_field.name, column_name=capfirst(str(model_field.verbose_name)), **kwargs)
        self.model_field = model_field

    def export(self, instance, **kwargs):
        field = self.model_field
        if field.many_to_many:
            return ", ".join(str(related) for related in getattr(instance, field.name).all())
        if field.is_relation:
            return str(getattr(instance, field.name)) if getattr(instance, field.attname) is not None else ""
        if field.choices:
            return getattr(instance, f"get_{field.name}_display")()
        return getattr(instance, field.attname)


class PortalResource(resources.ModelResource):
    """A resource that knows who exports or imports, and writes safe cells."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def export_field(self, field, instance, **kwargs):
        return cell(super().export_field(field, instance, **kwargs), native=kwargs.get("force_native_type", False))

    def export(self, queryset=None, **kwargs):
        if queryset is not None and self.user is not None:
            queryset = scoping.scope(queryset, self.user)
        return super().export(queryset, **kwargs)


def _related_paths(model) -> list[str]:
    """Foreign keys two steps deep: a related row's name may name its own related rows."""
    paths = []
    for field in model._meta.concrete_fields:
        if field.is_relation:
            paths.append(field.name)
            paths += [
                f"{field.name}__{inner.name}"
                for inner in field.related_model._meta.concrete_fields
                if inner.is_relation
            ]
    return paths


class ModelExportResource(PortalResource):
    """The export of an admin without a resource of its own: every field but secrets, in order."""

    def filter_export(self, queryset, **kwargs):
        model = self._meta.model
        return queryset.select_related(*_related_paths(model)).prefetch_related(
            *(field.name for field in model._meta.many_to_many)
        )

    def get_export_fields(self, selected_fields=None):
        exported = super().get_export_fields(selected_fields)
        if self.user is None or scoping.sees_everything(self.user):
            return exported
        # A link to a row the user may not see (a person's login) is not written either.
        return [
            field
            for field in exported
            if not (
                isinstance(field, DisplayField)
                and field.model_field.is_relation
                and scoping.rule_for(field.model_field.related_model) == "superuser"
            )
        ]


_EXPORT_RESOURCES: dict[type, type[ModelExportResource]] = {}


def export_resource_for(model) -> type[ModelExportResource]:
    if model not in _EXPORT_RESOURCES:
        hidden = SECRET_FIELDS.get(model._meta.label_lower, frozenset())
        exported = [
            field
            for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
            if field.name not in hidden and not (field.is_relation and field.related_model is None)
        ]
        names = [field.name for field in exported]
        attrs = {field.name: DisplayField(field) for field in exported}
        attrs["Meta"] = type("Meta", (), {"model": model, "fields": names, "export_order": names})
        _EXPORT_RESOURCES[model] = type(f"{model.__name__}ExportResource", (ModelExportResource,), attrs)
    return _EXPORT_RESOURCES[model]


# --- export in every admin ------------------------------------------------------------------


class ExportAdminMixin(BaseExportMixin, ImportExportMixinBase):
    """CSV and Excel of exactly what a change list shows; a base of ``CouncilScopedAdmin``."""

    import_export_change_list_template = "admin/import_export/portal_change_list.html"

    def get_export_formats(self):
        return FORMATS

    def get_export_resource_classes(self, request):
        return list(getattr(self, "resource_classes", None) or [export_resource_for(self.model)])

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def get_export_queryset(self, request):
        # The library builds the change list without paging it: the search and filters apply.
        return ExportMixin.get_export_queryset(self, request)

    def export_view(self, request, fmt: str):
        if fmt not in EXPORT_FORMATS:
            raise Http404
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_export_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("Filtrene i adressen er ugyldige.").encode())
        return self.export_response(request, queryset, EXPORT_FORMATS[fmt]())

    def export_response(self, request, queryset, file_format) -> HttpResponse:
        queryset = scoping.scope(queryset, request.user)
        native = isinstance(file_format, XLSXFormat)
        dataset = self.get_data_for_export(request, queryset, force_native_type=native)
        dataset.title = str(capfirst(self.model._meta.verbose_name_plural))[:31]
        response = HttpResponse(file_format.export_data(dataset), content_type=file_format.get_content_type())
        name = slugify(str(self.model._meta.verbose_name_plural)) or self.model._meta.model_name
        filename = f"{name}-{timezone.localdate().isoformat()}.{file_format.get_extension()}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @staticmethod
    def export_selected_csv(model_admin, request, queryset):
        return model_admin.export_response(request, queryset, CSVFormat())

    @staticmethod
    def export_selected_xlsx(model_admin, request, queryset):
        return model_admin.export_response(request, queryset, XLSXFormat())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_export_permission(request):
            # An action receives the selected ids filtered by the scoped get_queryset.
            actions["export_selected_csv"] = (
                type(self).export_selected_csv,
                "export_selected_csv",
                gettext_lazy("Eksportér valgte %(verbose_name_plural)s som CSV"),
            )
            actions["export_selected_xlsx"] = (
                type(self).export_selected_xlsx,
                "export_selected_xlsx",
                gettext_lazy("Eksportér valgte %(verbose_name_plural)s som Excel"),
            )
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_export_permission(request):
            info = self.model._meta.app_label, self.model._meta.model_name
            query = request.GET.copy()
            query.pop("p", None)
            suffix = f"?{query.urlencode()}" if query else ""
            extra_context["export_links"] = [
                (_("Eksportér CSV"), reverse("admin:{}_{}_export".format(*info), args=["csv"]) + suffix),
                (_("Eksportér Excel"), reverse("admin:{}_{}_export".format(*info), args=["xlsx"]) + suffix),
            ]
        return super().changelist_view(request, extra_context)


# --- import ---------------------------------------------------------------------------------


class PortalImportForm(ImportForm):
    """The upload: refused by size before it is read; the format follows the file's name."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["import_file"].label = _("Fil (CSV eller Excel)")
        self.fields["import_file"].help_text = _("Højst %(size)s MB. Første række er kolonnernes overskrifter.") % {
            "size": MAX_IMPORT_BYTES // (1024 * 1024)
        }
        self.fields["format"].label = _("Format")
        self.fields["format"].required = False
        self.fields["format"].choices = [("", _("efter filens navn"))] + [
            choice for choice in self.fields["format"].choices if choice[0] != ""
        ]
        self.formats = formats

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                _("Filen er for stor (%(size)s MB). Den må højst fylde %(limit)s MB.")
                % {"size": round(upload.size / (1024 * 1024), 1), "limit": MAX_IMPORT_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is not None and not cleaned.get("format"):
            extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            for index, file_format in enumerate(self.formats):
                if file_format().get_extension() == extension:
                    cleaned["format"] = str(index)
                    break
            else:
                self.add_error("import_file", _("Filen skal være en CSV-fil (.csv) eller en Excel-fil (.xlsx)."))
        return cleaned


def read_error_message(error: Exception) -> str:
    if isinstance(error, FileReadError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return _(
            "Filen er ikke gemt som UTF-8. Gem den i Excel som »CSV UTF-8 (kommasepareret)« og prøv igen, "
            "eller gem den som Excel-fil."
        )
    return _("Filen kunne ikke læses. Kontrollér, at det er en CSV-fil eller en Excel-fil (.xlsx).")


def _messages(error) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    if isinstance(error, FileReadError):
        return [str(error)]
    logger.warning("Import failed: %r", error)
    return [_("Rækken kunne ikke gemmes, fordi den strider mod en regel i databasen.")]


def problems(result) -> list[dict]:
    """Every problem of an import, by spreadsheet row (the headings are row 1) and column."""
    found = [
        {"row": None, "column": None, "message": message} for e in result.base_errors for message in _messages(e.error)
    ]
    for line, errors in result.row_errors():
        found += [{"row": line + 1, "column": None, "message": m} for e in errors for m in _messages(e.error)]
    for invalid in result.invalid_rows:
        for column, column_messages in invalid.field_specific_errors.items():
            found += [{"row": invalid.number + 1, "column": column, "message": str(m)} for m in column_messages]
        found += [
            {"row": invalid.number + 1, "column": None, "message": str(m)} for m in invalid.non_field_specific_errors
        ]
    return sorted(found, key=lambda problem: problem["row"] or 0)


class ImportUploadStorage(MediaStorage):
    """The uploaded file between the preview and the confirmation.

    Not the library's default, a file in the web server's own ``/tmp``: with several web servers
    (docker-compose runs gunicorn with four workers, and may run several containers) the confirm
    can reach another one than the preview did, and abandoned previews with people's personal
    data would pile up there. Not ``CacheStorage`` either: the portal has no shared cache (the
    default cache is per process), and a cache may drop a file larger than its item limit. So the
    media volume that every web server shares, under a random (unguessable) name; the file is
    removed when the preview finds errors, when the import is confirmed, and an abandoned one on
    the next upload after ``LIFETIME``. A confirmation *claims* the file by renaming it, so that
    the same preview confirmed twice (a double click, two tabs) imports once.
    """

    FOLDER = "import-uploads"
    LIFETIME = dt.timedelta(hours=1)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.MEDIA_FOLDER = self.FOLDER

    def save(self, data):
        self.remove_abandoned()
        super().save(data)

    def remove_abandoned(self) -> None:
        try:
            _folders, names = self._storage.listdir(self.FOLDER)
        except FileNotFoundError:
            return
        cutoff = timezone.now() - self.LIFETIME
        for name in names:
            path = f"{self.FOLDER}/{name}"
            with contextlib.suppress(FileNotFoundError):
                if self._storage.get_modified_time(path) < cutoff:
                    self._storage.delete(path)

    def claim(self) -> ImportUploadStorage | None:
        """This upload under a new name only this request knows, or ``None`` if it is gone."""
        if not self.name or not re.fullmatch(r"[0-9a-f]{32}", self.name):
            return None
        claimed = type(self)(name=f"{self.name}.{uuid.uuid4().hex}", encoding=self.encoding, read_mode=self.read_mode)
        try:
            os.rename(self._storage.path(self.get_full_path()), self._storage.path(claimed.get_full_path()))
        except FileNotFoundError:
            return None
        return claimed

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            super().remove()


class _ConfirmRefused(Exception):
    """A confirmation that cannot go ahead; the message is for the person who sent it."""


def _index(value, count: int) -> int:
    """A list index posted back by the confirm form, refused unless it is one of ``count``."""
    try:
        index = int(value)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < count:
        raise _ConfirmRefused(_("Bekræftelsen var ugyldig. Upload filen igen."))
    return index


class ImportAdminMixin(ImportMixin):
    """Import with a preview for an admin with ``resource_classes`` of ``ServiceResource``."""

    import_export_change_list_template = "admin/import_export/portal_change_list.html"
    import_template_name = "admin/import_export/portal_import.html"
    import_form_class = PortalImportForm
    tmp_storage_class = ImportUploadStorage

    def get_import_formats(self):
        return FORMATS

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        # One transaction for the whole file, rolled back if any row fails.
        return {**kwargs, "use_transactions": True, "rollback_on_validation_errors": True}

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", read_error_message(e))

    def get_import_context_data(self, **kwargs):
        return {
            "columns": getattr(self.resource_classes[0], "column_help", ()),
            "max_size_mb": MAX_IMPORT_BYTES // (1024 * 1024),
        }

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse):
            result = response.context_data.get("result")
            response.context_data["title"] = self.import_title()
            response.context_data["problems"] = problems(result) if result is not None else []
            upload = request.FILES.get("import_file")
            stored = getattr(upload, "tmp_storage_name", None)
            if stored and response.context_data.get("confirm_form") is None:
                # A preview with errors cannot be confirmed: its file is not kept.
                self.get_tmp_storage_class()(name=stored).remove()
        return response

    def process_import(self, request, **kwargs):
        """The confirmation, answered with the import page and a message whatever is posted."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        try:
            if not confirm_form.is_valid():
                raise _ConfirmRefused(_("Bekræftelsen var ugyldig. Upload filen igen."))
            input_format = self.get_import_formats()[
                _index(confirm_form.cleaned_data["format"], len(self.get_import_formats()))
            ](encoding=self.from_encoding)
            _index(confirm_form.cleaned_data.get("resource") or 0, len(self.get_import_resource_classes(request)))
            storage = self.get_tmp_storage_class()(
                name=confirm_form.cleaned_data["import_file_name"],
                encoding=None if input_format.is_binary() else self.from_encoding,
                read_mode=input_format.get_read_mode(),
                **self.get_tmp_storage_class_kwargs(),
            )
            claimed = storage.claim()
            if claimed is None:
                raise _ConfirmRefused(
                    _(
                        "Filen fra forhåndsvisningen findes ikke længere — importen er måske allerede "
                        "gennemført. Se listen, og upload filen igen, hvis rækkerne mangler."
                    )
                )
            try:
                dataset = input_format.create_dataset(claimed.read())
            except Exception as error:  # any file that cannot be read gets the same message
                raise _ConfirmRefused(read_error_message(error)) from error
            finally:
                claimed.remove()
        except _ConfirmRefused as refused:
            messages.error(request, str(refused))
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))
        result = self.process_dataset(dataset, confirm_form, request, **kwargs)
        return self.process_result(result, request)

    def import_title(self) -> str:
        return _("Importér %(name)s") % {"name": self.model._meta.verbose_name_plural}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Something changed since the preview: nothing was written; show why.
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": self.import_title(),
                "form": self.create_import_form(request),
                "opts": self.model._meta,
                "result": result,
                "problems": problems(result),
                "nothing_written": True,
            }
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            _("Importen er gennemført: %(new)s nye og %(updated)s opdaterede %(name)s.")
            % {"new": totals["new"], "updated": totals["update"], "name": self.model._meta.verbose_name_plural},
        )


# --- resources that write through the services ----------------------------------------------

DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d")


class RowErrors:
    """The problems of one row, each on its column."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, column: str, message: str) -> None:
        self.errors.setdefault(str(column), []).append(str(message))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


class _Diff(resources.Diff):
    """The preview's cells as the export writes them (the library reads the raw attributes)."""

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.left = self._cells(resource, instance)

    def compare_with(self, resource, instance):
        self.right = self._cells(resource, instance)

    @staticmethod
    def _cells(resource, instance) -> list:
        return [resource.export_field(field, instance) for field in resource.get_import_fields()]


class ServiceResource(PortalResource):
    """An import that reads each row's columns itself and saves through the services.

    ``columns`` are the headings (the fields' Danish column names, as people write them; matched
    without regard to case),
    ``required`` those that must be there; ``field_columns`` says on which column a rule of the
    model (an error on a model field) is reported.
    """

    required: ClassVar[tuple[str, ...]] = ()
    field_columns: ClassVar[dict[str, str]] = {}
    column_help: ClassVar[tuple[tuple[str, str], ...]] = ()

    class Meta:
        skip_unchanged = False
        use_transactions = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The headings, in the order of ``Meta.fields``."""
        return tuple(str(self.fields[name].column_name) for name in self._meta.fields)

    def get_diff_class(self):
        return _Diff

    # reading the file

    def before_import(self, dataset, **kwargs):
        known = {column.casefold(): column for column in self.columns}
        headers = [
            known.get(str(header or "").strip().casefold(), str(header or "").strip()) for header in dataset.headers
        ]
        problems = []
        unknown = [header for header in headers if header not in self.columns]
        missing = [column for column in self.required if column not in headers]
        duplicated = sorted({header for header in headers if headers.count(header) > 1})
        if missing:
            problems.append(_("Kolonnen mangler: %(columns)s.") % {"columns": ", ".join(f"»{c}«" for c in missing)})
        if unknown:
            named = [f"»{column}«" if column else _("en kolonne uden overskrift") for column in unknown]
            problems.append(_("Ukendt kolonne: %(columns)s.") % {"columns": ", ".join(named)})
        if duplicated:
            problems.append(_("Kolonnen står flere gange: %(columns)s.") % {"columns": ", ".join(duplicated)})
        if problems:
            problems.append(_("Kolonnerne er: %(columns)s.") % {"columns": ", ".join(self.columns)})
            # No row is read when the columns are wrong.
            del dataset[: len(dataset)]
            raise ValidationError(" ".join(problems))
        dataset.headers = headers

    @staticmethod
    def text(row, column: str) -> str:
        value = row.get(str(column))
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def date(self, row, column: str, errors: RowErrors) -> dt.date | None:
        value = row.get(str(column))
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text(row, column)
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date, no time of day
            except ValueError:
                continue
        errors.add(
            column, _("»%(value)s« er ikke en gyldig dato. Skriv den som dd-mm-åååå, fx 01-01-2026.") % {"value": text}
        )
        return None

    def number(self, row, column: str) -> int | None:
        text = self.text(row, column)
        return int(text) if re.fullmatch(r"\d{1,9}", text) else None

    # the library's steps, done here

    def get_or_init_instance(self, instance_loader, row):
        return self.find_or_init(row)

    def find_or_init(self, row):
        """The row's object: an existing one of the user's KKRs to update, or a new one."""
        return self._meta.model(), True

    def import_instance(self, instance, row, **kwargs):
        errors = RowErrors()
        self.read_row(instance, row, errors)
        errors.raise_any()

    def read_row(self, instance, row, errors: RowErrors) -> None:
        raise NotImplementedError

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)
        try:
            instance.full_clean(validate_unique=validate_unique)
        except ValidationError as error:
            raise self.on_columns(error) from error

    def on_columns(self, error: ValidationError) -> ValidationError:
        """A rule's error moved from the model's field to the column where it is corrected."""
        errors = RowErrors()
        for field, field_errors in error.update_error_dict({}).items():
            column = self.field_columns.get(field, NON_FIELD_ERRORS)
            for message in ValidationError(field_errors).messages:
                errors.add(column, message)
        return ValidationError(errors.errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            saved = self.save_row(instance, row, file_name=kwargs.get("file_name") or "")
        except ValidationError as error:
            raise self.on_columns(error) from error
        if saved is not instance:
            # The preview and the log show the row as the services saved it.
            instance.pk = saved.pk
            instance.refresh_from_db()

    def save_row(self, instance, row, *, file_name: str):
        raise NotImplementedError

    def change_reason(self, file_name: str) -> str:
        return _("Importeret fra %(file)s") % {"file": file_name} if file_name else _("Importeret")
