"""`manage.py import_pricelist`: import price-list files for a partner from the command line."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from partners.importing.submit import submit_price_list
from partners.models import PriceListImport


class Command(BaseCommand):
    help = "Import price lists (YAML) into a partner's shops, one file after another; a bad file changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="price-list files")
        parser.add_argument("--partner", required=True, help="username of the partner the shops belong to")
        parser.add_argument("--dry-run", action="store_true", help="plan only: show what would change")

    def handle(self, *paths, **options):
        User = get_user_model()
        try:
            partner = User.objects.get(username=options["partner"])
        except User.DoesNotExist:
            raise CommandError(_("No user named %(name)r.") % {"name": options["partner"]}) from None
        failed = 0
        for path in options["paths"]:
            failed += not self._import_one(Path(path), partner, dry_run=options["dry_run"])
        if failed:
            raise CommandError(
                _("%(failed)s of %(total)s file(s) rejected.")
                % {"failed": failed, "total": len(options["paths"])}
            )

    def _import_one(self, path: Path, partner, *, dry_run: bool) -> bool:
        try:
            content = path.read_bytes()
        except OSError as exc:
            self.stderr.write(
                _("%(path)s: cannot read: %(error)s") % {"path": path, "error": exc.strerror or exc}
            )
            return False
        try:
            record = submit_price_list(
                partner=partner,
                content=content,
                file_name=path.name,
                source=PriceListImport.Source.CLI,
                dry_run=dry_run,
            ).record
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"{path}: {message}")
            return False
        if record.status != PriceListImport.Status.SUCCEEDED:
            self.stderr.write(
                _("%(path)s: rejected (%(count)s problem(s)):") % {"path": path, "count": len(record.errors)}
            )
            for error in record.errors:
                where = f"{error['path']}: " if error["path"] else ""
                line = _(" (line %(line)s)") % {"line": error["line"]} if error.get("line") else ""
                self.stderr.write(f"  {where}{error['message']}{line}")
            return False
        counts = record.plan["counts"]
        template = (
            _(
                "%(path)s: shop %(shop)r would change: %(goods)s goods — %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(retired)s retired (%(ms)s ms, import #%(id)s)"
            )
            if dry_run
            else _(
                "%(path)s: shop %(shop)r imported: %(goods)s goods — %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(retired)s retired (%(ms)s ms, import #%(id)s)"
            )
        )
        self.stdout.write(
            template
            % {
                "path": path,
                "shop": record.plan["shop"],
                "goods": record.goods_total,
                "ms": record.duration_ms,
                "id": record.pk,
                **counts,
            }
        )
        for change in record.plan["changes"]:
            if change["action"] == "updated":
                self.stdout.write(
                    _(
                        "  updated %(external_id)s %(name)s: %(fields)s (price %(old_price)s → %(new_price)s, "
                        "quantity %(old_quantity)s → %(new_quantity)s)"
                    )
                    % {**change, "fields": ", ".join(change["fields"])}
                )
            elif change["action"] == "retired":
                self.stdout.write(_("  retired %(external_id)s %(name)s") % change)
        if record.plan["changes_truncated"]:
            self.stdout.write(_("  … (more changes not listed)"))
        return True
