"""API routes of the catalog app (the paths of the documented contract)."""

from django.urls import path

from catalog.api import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/facets/", views.ProductFacetsView.as_view(), name="product-facets"),
    path("products/details/", views.ProductDetailView.as_view(), name="product-details"),
    path("shops/", views.ShopListView.as_view(), name="shops"),
    path("categories/", views.CategoryListView.as_view(), name="categories"),
]
