"""Pages: networks, entity pages, search, exports, contextual safeguarding, cross-agency signal."""

from django.urls import path

from lantern.intel.network import views

urlpatterns: list = [
    path("intel/entities/", views.entity_search, name="entity_search"),
    path("intel/entities/<int:entity_id>/", views.entity_detail, name="entity_detail"),
    path("intel/entities/<int:entity_id>/network.<str:format>", views.network_export, name="network_export"),
    path("intel/entities/<int:entity_id>/associations/new/", views.association_add, name="association_add"),
    path("intel/entities/<int:entity_id>/case/", views.place_case_open, name="place_case_open"),
    path("intel/paths", views.paths, name="paths"),
    path("intel/groups/new/", views.peer_group_add, name="peer_group_add"),
    path("intel/groups/<int:case_id>/", views.peer_group_detail, name="peer_group_detail"),
    path("intel/networks/", views.network_figures, name="network_figures"),
    path("intel/signal-rules/", views.signal_rules, name="signal_rules"),
    path("intel/signal-rules/new/", views.signal_rule_edit, name="signal_rule_add"),
    path("intel/signal-rules/<int:rule_id>/", views.signal_rule_edit, name="signal_rule_edit"),
]
