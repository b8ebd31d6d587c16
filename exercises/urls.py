from django.urls import path

from . import views

app_name = "exercises"

urlpatterns = [
    path("", views.exercise_list, name="exercise_list"),
    path("exercises/new/", views.exercise_create, name="exercise_create"),
    path("exercises/<int:exercise_id>/edit/", views.exercise_update, name="exercise_update"),
    path("exercises/<int:exercise_id>/retire/", views.exercise_retire, name="exercise_retire"),
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/new/", views.protocol_create, name="protocol_create"),
    path("protocols/<int:protocol_id>/edit/", views.protocol_update, name="protocol_update"),
    path("protocols/<int:protocol_id>/publish/", views.protocol_publish, name="protocol_publish"),
    path(
        "protocols/<int:protocol_id>/new-version/",
        views.protocol_new_version,
        name="protocol_new_version",
    ),
    path("protocols/<int:protocol_id>/copy/", views.protocol_copy, name="protocol_copy"),
]
