"""Infrastructure tables: the table of Django's database cache, created by `migrate`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The `LOCATION` of the database cache in settings.CACHES.
CACHE_TABLE = "django_cache"


class CacheEntry(models.Model):
    """One entry of Django's `DatabaseCache`: the columns `createcachetable` would make, so `migrate`
    creates the table and nobody has to remember that command. Only the cache reads and writes it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = CACHE_TABLE
        verbose_name = _("cache entry")
        verbose_name_plural = _("cache entries")
        # Nobody edits the cache through the admin or groups: no permissions to grant.
        default_permissions = ()

    def __str__(self) -> str:
        return self.cache_key
