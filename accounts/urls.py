"""Routes of the pages that e-mail links open (the API's routes are in `accounts.api.urls`)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("confirm-email/", views.EmailConfirmationPage.as_view(), name="account-confirm-email"),
    path("reset-password/", views.PasswordResetPage.as_view(), name="account-reset-password"),
]
