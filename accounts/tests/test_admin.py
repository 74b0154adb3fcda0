"""Admin of users and contacts: managers manage people and make partners; partners never see people."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from unfold.forms import UserChangeForm

from accounts.models import Contact, User
from accounts.partner_access import make_partner
from accounts.tests.factories import ContactFactory, ManagerFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = ManagerFactory()
    client.force_login(user)
    return user


def test_user_changelist_shows_type_badges_and_filters_by_type(client, manager):
    buyer = UserFactory(username="buyer-anna")
    partner = PartnerFactory(username="partner-svyaznoy")

    everyone = client.get(reverse("admin:accounts_user_changelist"))
    partners = client.get(reverse("admin:accounts_user_changelist"), {"type__exact": "shop"})

    assert everyone.status_code == 200
    assert {buyer, partner, manager} <= set(everyone.context["cl"].result_list)
    assert list(partners.context["cl"].result_list) == [partner]


def test_user_search_by_phone_of_a_contact(client, manager):
    contact = ContactFactory(phone="+79035556677")
    UserFactory()

    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "5556677"})

    assert list(response.context["cl"].result_list) == [contact.user]


def test_user_change_page_uses_unfold_forms_and_shows_contacts(client, manager):
    contact = ContactFactory(city="Казань")

    response = client.get(reverse("admin:accounts_user_change", args=[contact.user.pk]))

    assert response.status_code == 200
    assert isinstance(response.context["adminform"].form, UserChangeForm)
    assert "Казань" in response.content.decode()


def test_manager_creates_a_user_with_the_add_form(client, manager):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-buyer",
            "email": "new@example.com",
            "type": "buyer",
            "usable_password": "true",
            "password1": "Sturdy-Passw0rd-77",
            "password2": "Sturdy-Passw0rd-77",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="new-buyer").check_password("Sturdy-Passw0rd-77")


def test_make_partner_action_sets_type_staff_and_partners_group(client, manager):
    user = UserFactory()

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_partners", "_selected_action": [user.pk], "index": 0},
    )

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.type == User.Type.SHOP
    assert user.is_staff is True
    assert list(user.groups.values_list("name", flat=True)) == ["Partners"]


def test_make_partner_is_idempotent():
    user = UserFactory()

    make_partner(user=user)
    make_partner(user=user)

    assert user.groups.count() == 1
    assert Group.objects.filter(name="Partners").count() == 1


def test_contact_changelist_and_change_page(client, manager):
    contact = ContactFactory(city="Тула")

    listing = client.get(reverse("admin:accounts_contact_changelist"))
    page = client.get(reverse("admin:accounts_contact_change", args=[contact.pk]))

    assert list(listing.context["cl"].result_list) == [contact]
    assert page.status_code == 200


def test_contact_added_in_the_admin_keeps_its_phone_in_e164(client, manager):
    owner = UserFactory()

    response = client.post(
        reverse("admin:accounts_contact_add"),
        {"user": owner.pk, "city": "Тула", "street": "Ленина", "phone": "8 916 123-45-67"},
    )

    assert response.status_code == 302
    assert list(Contact.objects.values_list("user", "city", "phone")) == [(owner.pk, "Тула", "+79161234567")]


def test_contact_with_a_phone_that_is_not_a_phone_is_refused_in_the_admin(client, manager):
    contact = ContactFactory(city="Тула", phone="+79161234567")

    response = client.post(
        reverse("admin:accounts_contact_change", args=[contact.pk]),
        {"user": contact.user_id, "city": "Орёл", "street": contact.street, "phone": "12345"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "phone": ["Enter a valid phone number, e.g. +7 916 123-45-67."]
    }
    contact.refresh_from_db()
    assert (contact.city, contact.phone) == ("Тула", "+79161234567")


@pytest.mark.parametrize(
    "url_name",
    ["admin:accounts_user_changelist", "admin:accounts_contact_changelist", "admin:auth_group_changelist"],
)
def test_partner_cannot_see_people(client, url_name):
    partner = PartnerFactory(is_staff=True)
    make_partner(user=partner)
    client.force_login(partner)

    response = client.get(reverse(url_name))

    assert response.status_code == 403


def test_partner_guessing_a_user_id_sees_nothing_and_changes_nothing(client):
    partner = PartnerFactory(is_staff=True)
    make_partner(user=partner)
    victim = UserFactory(email="victim@example.com")
    contact = ContactFactory(user=victim)
    client.force_login(partner)

    page = client.get(reverse("admin:accounts_user_change", args=[victim.pk]))
    post = client.post(reverse("admin:accounts_user_change", args=[victim.pk]), {"email": "evil@example.com"})
    contact_page = client.get(reverse("admin:accounts_contact_change", args=[contact.pk]))
    make = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_partners", "_selected_action": [victim.pk], "index": 0},
    )

    victim.refresh_from_db()
    assert (page.status_code, post.status_code, contact_page.status_code, make.status_code) == (
        403,
        403,
        403,
        403,
    )
    assert victim.email == "victim@example.com"
    assert victim.type == User.Type.BUYER
    assert Contact.objects.get(pk=contact.pk).phone == contact.phone


def test_partner_sidebar_has_no_people_section(client):
    partner = PartnerFactory(is_staff=True)
    make_partner(user=partner)
    client.force_login(partner)

    body = client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:accounts_user_changelist") not in body
    assert reverse("admin:partners_shop_changelist") in body


def test_admin_offers_a_language_switch(client, manager):
    body = client.get(reverse("admin:index")).content.decode()

    assert reverse("set_language") in body
    assert 'value="ru"' in body
    assert 'value="en"' in body


def test_switching_the_language_to_russian_renders_the_admin_in_russian(client, manager):
    before = client.get(reverse("admin:index")).content.decode()
    client.post(reverse("set_language"), {"language": "ru", "next": "/admin/"})

    after = client.get(reverse("admin:index")).content.decode()

    assert "Awaiting confirmation" in before
    assert "Ожидают подтверждения" in after
