"""Factories for users and contacts."""

import factory

from accounts.models import Contact, User
from accounts.services import make_partner

DEFAULT_PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"buyer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Ivan"
    last_name = "Petrov"
    type = User.Type.BUYER
    password = factory.django.Password(DEFAULT_PASSWORD)
    # Confirmed, so that signing in and ordering work under the default EMAIL_CONFIRMATION=mandatory;
    # tests of confirmation itself ask for `is_email_verified=False, has_ever_verified_email=False`.
    is_email_verified = True
    has_ever_verified_email = True


class PartnerFactory(UserFactory):
    """A partner; `PartnerFactory(admin_access=True)` also signs in to the admin (staff, "Partners" group)."""

    username = factory.Sequence(lambda n: f"partner{n}")
    type = User.Type.SHOP

    class Params:
        admin_access = factory.Trait(
            grant_admin_access=factory.PostGeneration(
                lambda user, create, extracted, **kwargs: make_partner(user=user)
            )
        )


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    is_staff = True
    is_superuser = True


class UnconfirmedUserFactory(UserFactory):
    """A buyer who has never confirmed an address (just registered)."""

    username = factory.Sequence(lambda n: f"newbie{n}")
    is_email_verified = False
    has_ever_verified_email = False


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    user = factory.SubFactory(UserFactory)
    city = "Москва"
    street = "Тверская"
    house = "7"
    apartment = "12"
    phone = "+79161234567"
