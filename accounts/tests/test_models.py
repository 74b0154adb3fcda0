"""Who counts as a manager: partners have staff access to the admin but are never managers."""

import pytest

from accounts.models import User


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"is_staff": True}, True),
        ({"is_staff": True, "is_superuser": True}, True),
        ({"is_superuser": True, "type": User.Type.SHOP}, True),
        ({"is_staff": True, "type": User.Type.SHOP}, False),
        ({"is_staff": True, "is_active": False}, False),
        ({}, False),
    ],
)
def test_is_manager(fields, expected):
    assert User(username="someone", **fields).is_manager is expected
