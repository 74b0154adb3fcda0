"""Admin of users and contacts: managers manage people and make partners; partners never see people."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from unfold.forms import UserChangeForm

from accounts.models import Contact, OutboxEmail, User
from accounts.services import make_partner
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
    [
        "admin:accounts_user_changelist",
        "admin:accounts_contact_changelist",
        "admin:auth_group_changelist",
        "admin:accounts_outboxemail_changelist",
    ],
)
def test_partner_cannot_see_people(client, url_name):
    partner = PartnerFactory(admin_access=True)
    client.force_login(partner)

    response = client.get(reverse(url_name))

    assert response.status_code == 403


def test_partner_guessing_a_user_id_sees_nothing_and_changes_nothing(client):
    partner = PartnerFactory(admin_access=True)
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
    partner = PartnerFactory(admin_access=True)
    client.force_login(partner)

    body = client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:accounts_user_changelist") not in body
    assert reverse("admin:accounts_outboxemail_changelist") not in body
    assert reverse("admin:catalog_shop_changelist") in body


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


# --- outgoing emails ------------------------------------------------------------------------------


def outbox_email(key, status=OutboxEmail.Status.PENDING, **fields):
    values = {
        "key": key,
        "recipients": ["anna@example.com"],
        "subject": f"Subject of {key}",
        "text": "Reset link: /password/reset/secret-reset-token/",
        "html": "<p>/password/reset/secret-reset-token/</p>",
        "status": status,
    }
    if status == OutboxEmail.Status.SENT:
        values["sent_at"] = timezone.now()
    return OutboxEmail.objects.create(**{**values, **fields})


def test_outbox_changelist_shows_status_badges_and_filters_by_status(client, manager):
    sent = outbox_email("order-1-new-customer", OutboxEmail.Status.SENT, attempts=1)
    failed = outbox_email(
        "order-2-new-customer", OutboxEmail.Status.FAILED, attempts=10, last_error="SMTPException: refused"
    )
    outbox_email("order-3-new-customer")

    everything = client.get(reverse("admin:accounts_outboxemail_changelist"))
    only_failed = client.get(reverse("admin:accounts_outboxemail_changelist"), {"status__exact": "failed"})

    assert everything.status_code == 200
    assert len(everything.context["cl"].result_list) == 3
    body = everything.content.decode()
    assert "SMTPException: refused" in body
    assert "Subject of order-1-new-customer" in body
    assert "secret-reset-token" not in body
    assert list(only_failed.context["cl"].result_list) == [failed]
    assert sent not in only_failed.context["cl"].result_list


def test_outbox_is_searched_by_recipient_address(client, manager):
    wanted = outbox_email("register-1", recipients=["petrov@example.com"])
    outbox_email("register-2", recipients=["ivanova@example.com"])

    response = client.get(reverse("admin:accounts_outboxemail_changelist"), {"q": "petrov@"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_outbox_changelist_query_count_does_not_grow_with_the_page(
    client, manager, django_assert_max_num_queries
):
    for number in range(30):
        outbox_email(f"order-{number}-new-customer", OutboxEmail.Status.SENT)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:accounts_outboxemail_changelist"))

    assert len(response.context["cl"].result_list) == 30


def test_outbox_change_page_is_read_only_and_never_shows_the_body(client, manager):
    email = outbox_email("password-reset-1", last_error="SMTPException: refused")

    page = client.get(reverse("admin:accounts_outboxemail_change", args=[email.pk]))
    post = client.post(
        reverse("admin:accounts_outboxemail_change", args=[email.pk]), {"status": "sent", "subject": "x"}
    )
    add = client.get(reverse("admin:accounts_outboxemail_add"))
    delete = client.post(reverse("admin:accounts_outboxemail_delete", args=[email.pk]), {"post": "yes"})

    assert page.status_code == 200
    body = page.content.decode()
    assert "Subject of password-reset-1" in body
    assert "secret-reset-token" not in body
    assert (post.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    email.refresh_from_db()
    assert (email.status, email.subject) == (OutboxEmail.Status.PENDING, "Subject of password-reset-1")


def test_retry_now_sends_failed_emails_again_and_leaves_the_others(
    client, manager, django_capture_on_commit_callbacks
):
    failed = outbox_email("order-1-new-customer", OutboxEmail.Status.FAILED, attempts=10)
    waiting = outbox_email(
        "order-2-new-customer", attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_outboxemail_changelist"),
            {"action": "retry_now", "_selected_action": [failed.pk, waiting.pk]},
            follow=True,
        )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [
        "1 failed email is queued again.",
        "1 selected email has not failed and was left as it is.",
    ]
    failed.refresh_from_db()
    waiting.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxEmail.Status.SENT, 1)
    assert (waiting.status, waiting.attempts) == (OutboxEmail.Status.PENDING, 2)
    assert [message.subject for message in mail.outbox] == ["Subject of order-1-new-customer"]


def test_staff_manager_sees_the_outbox_with_the_view_permission_and_retries_only_with_change(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxemail"))
    failed = outbox_email("order-1-new-customer", OutboxEmail.Status.FAILED, attempts=10)
    client.force_login(viewer)

    page = client.get(reverse("admin:accounts_outboxemail_changelist"))
    retry = client.post(
        reverse("admin:accounts_outboxemail_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk]},
    )
    sidebar = client.get(reverse("admin:index")).content.decode()

    assert page.status_code == 200
    assert "retry_now" not in page.content.decode()
    # An action the user may not run is not offered: the changelist comes back and nothing changes.
    assert retry.status_code == 200
    assert OutboxEmail.objects.get(pk=failed.pk).status == OutboxEmail.Status.FAILED
    assert reverse("admin:accounts_outboxemail_changelist") in sidebar


def test_manager_sidebar_shows_the_outbox_with_the_count_of_failed_emails(client, manager):
    outbox_email("order-1-new-customer", OutboxEmail.Status.FAILED, attempts=10)
    outbox_email("order-2-new-customer", OutboxEmail.Status.FAILED, attempts=10)
    outbox_email("order-3-new-customer", OutboxEmail.Status.SENT)

    body = client.get(reverse("admin:index")).content.decode()

    link = re.search(
        r'href="/admin/accounts/outboxemail/".*?<span>(.*?)</span>.*?sidebar-badge[^>]*>\s*(\d+)\s*</span>',
        body,
        re.S,
    )
    assert link is not None
    assert link.groups() == ("Outgoing emails", "2")
