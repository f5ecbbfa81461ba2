"""Pages: intelligence items: the list, submission, an item with its grading and sharing, and its source."""

from django.urls import path

from lantern.intel.items import views as items_views

urlpatterns: list = [
    path("intel/items/", items_views.item_list, name="item_list"),
    path("intel/items/new/", items_views.item_new, name="item_new"),
    path("intel/items/<int:item_id>/", items_views.item_detail, name="item_detail"),
    path("intel/items/<int:item_id>/grade/", items_views.item_grade, name="item_grade"),
    path("intel/items/<int:item_id>/disclose/", items_views.item_disclose, name="item_disclose"),
    path("intel/items/<int:item_id>/source/", items_views.item_source, name="item_source"),
]
