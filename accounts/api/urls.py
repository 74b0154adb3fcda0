"""API routes of the accounts app (the paths of the documented contract)."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("register/confirm/", views.RegisterConfirmView.as_view(), name="register-confirm"),
    path(
        "register/confirm/resend/", views.RegisterConfirmResendView.as_view(), name="register-confirm-resend"
    ),
    path("get_token/", views.GetTokenView.as_view(), name="get-token"),
    path("refresh_token/", views.RefreshTokenView.as_view(), name="refresh-token"),
    path("user/", views.UserView.as_view(), name="user"),
    path("user/contacts/", views.ContactListView.as_view(), name="user-contacts"),
    path("user/contacts/<int:contact_id>/", views.ContactDetailView.as_view(), name="user-contact"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password_reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
