"""`manage.py import_pricelist`: import price-list files for a partner from the command line."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import PriceListImport
from partners.services import create_price_list_import, run_price_list_import


class Command(BaseCommand):
    help = "Import price lists (YAML) into a partner's shops. Each file is its own transaction."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="price-list files")
        parser.add_argument("--partner", required=True, help="username of the partner the shops belong to")
        parser.add_argument("--dry-run", action="store_true", help="plan only: show what would change")

    def handle(self, *paths, **options):
        User = get_user_model()
        try:
            partner = User.objects.get(username=options["partner"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['partner']!r}.") from None
        failed = 0
        for path in options["paths"]:
            failed += not self._import_one(Path(path), partner, dry_run=options["dry_run"])
        if failed:
            raise CommandError(f"{failed} of {len(options['paths'])} file(s) rejected.")

    def _import_one(self, path: Path, partner, *, dry_run: bool) -> bool:
        try:
            content = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"{path}: cannot read: {exc.strerror or exc}")
            return False
        try:
            record = create_price_list_import(
                partner=partner,
                content=content,
                file_name=path.name,
                source=PriceListImport.Source.CLI,
                dry_run=dry_run,
            )
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"{path}: {message}")
            return False
        record = run_price_list_import(price_list_import=record)
        if record.status != PriceListImport.Status.SUCCEEDED:
            self.stderr.write(f"{path}: rejected ({len(record.errors)} problem(s)):")
            for error in record.errors:
                where = f"{error['path']}: " if error["path"] else ""
                line = f" (line {error['line']})" if error.get("line") else ""
                self.stderr.write(f"  {where}{error['message']}{line}")
            return False
        counts = record.plan["counts"]
        verb = "would change" if dry_run else "imported"
        self.stdout.write(
            f"{path}: shop {record.plan['shop']!r} {verb}: {record.goods_total} goods — "
            f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{counts['retired']} retired ({record.duration_ms} ms, import #{record.pk})"
        )
        for change in record.plan["changes"]:
            if change["action"] == "updated":
                self.stdout.write(
                    f"  updated {change['external_id']} {change['name']}: {', '.join(change['fields'])}"
                    f" (price {change['old_price']} → {change['new_price']},"
                    f" quantity {change['old_quantity']} → {change['new_quantity']})"
                )
            elif change["action"] == "retired":
                self.stdout.write(f"  retired {change['external_id']} {change['name']}")
        if record.plan["changes_truncated"]:
            self.stdout.write("  … (more changes not listed)")
        return True
