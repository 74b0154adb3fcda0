"""API routes of the orders app (mounted at the root: these paths are the documented contract)."""

from django.urls import path

from orders.api import views

urlpatterns = [
    path("products/order/", views.BasketAddView.as_view(), name="basket-add"),
    path("basket/", views.BasketView.as_view(), name="basket"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/confirm/", views.OrderConfirmView.as_view(), name="order-confirm"),
    path("orders/info/", views.OrderInfoView.as_view(), name="order-info"),
    path("orders/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("partner/orders/", views.PartnerShipmentListView.as_view(), name="partner-shipment-list"),
    path(
        "partner/orders/<int:shipment_id>/state/",
        views.PartnerShipmentStateView.as_view(),
        name="partner-shipment-state",
    ),
]
