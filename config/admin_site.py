"""The admin site: unfold's, with a search page that answers every request instead of failing."""

from __future__ import annotations

import re

from django.core.paginator import InvalidPage
from django.http import Http404
from django.utils.translation import gettext
from unfold.sites import UnfoldAdminSite

# A page of search results is a whole number from 1; nine digits are more pages than any search has.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


class AdminSite(UnfoldAdminSite):
    def search(self, request, extra_context=None):
        # unfold hands `page` to the paginator and to int() as it comes: "abc", "-1", "1.0" or a page past
        # the last raised there (a 500). A page that is not a page of these results is not found, as in
        # Django's paginated list views.
        if not PAGE_NUMBER.fullmatch(request.GET.get("page", "1")):
            raise Http404(gettext("There is no such page of search results."))
        try:
            return super().search(request, extra_context)
        except InvalidPage as error:
            raise Http404(gettext("There is no such page of search results.")) from error
