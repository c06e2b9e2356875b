from django.urls import path

from . import views

app_name = "statements"

urlpatterns = [
    path("", views.home, name="home"),
    path("excerpts/<int:pk>/", views.excerpt_detail, name="excerpt"),
]
